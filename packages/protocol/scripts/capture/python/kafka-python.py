"""Plays one kafka-python capture scenario; the scenario arrives as JSON on stdin (see clients/python.ts)."""
import json
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

CLIENT_ID = "flotilla-capture"


def encode(s):
    return None if s is None else s.encode("utf-8")


def produce(spec):
    for p in spec["produce"]:
        codec = None if p["compression"] == "none" else p["compression"]
        producer = KafkaProducer(
            bootstrap_servers=spec["bootstrap"], client_id=CLIENT_ID, compression_type=codec, linger_ms=200
        )
        for m in p["messages"]:
            headers = [(h["key"], encode(h["value"])) for h in m["headers"]]
            producer.send(p["topic"], key=encode(m["key"]), value=encode(m["value"]), headers=headers,
                          partition=p["partition"])
        producer.flush()
        producer.close()


def consume(spec):
    consumer = KafkaConsumer(
        *spec["topics"], bootstrap_servers=spec["bootstrap"], client_id=CLIENT_ID, group_id=spec["groups"][0],
        auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=10000,
    )
    got = []
    for record in consumer:
        got.append(record.value.decode("utf-8"))
        if len(got) == spec["expect"]:
            break
    if len(got) != spec["expect"]:
        raise SystemExit(f"consumed {len(got)} of {spec['expect']}")
    consumer.commit()
    consumer.close()


def admin(spec):
    client = KafkaAdminClient(bootstrap_servers=spec["bootstrap"], client_id=CLIENT_ID)
    created, doomed = spec["topics"]
    client.create_topics([NewTopic(created, 2, 1, topic_configs={"retention.ms": "3600000"}),
                          NewTopic(doomed, 1, 1)])
    client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, created)])
    client.list_consumer_groups()
    client.describe_consumer_groups(spec["groups"])
    client.list_consumer_group_offsets(spec["groups"][0])
    client.delete_topics([doomed])
    client.close()


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    {"produce": produce, "consume": consume, "admin": admin}[spec["action"]](spec)
