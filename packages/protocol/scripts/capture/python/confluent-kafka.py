"""Plays one confluent-kafka capture scenario; the scenario arrives as JSON on stdin (see clients/python.ts)."""
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

CLIENT_ID = "flotilla-capture"


def encode(s):
    return None if s is None else s.encode("utf-8")


def wait_all(futures):
    for f in futures.values():
        f.result(timeout=15)


def produce(spec):
    for p in spec["produce"]:
        producer = Producer({"bootstrap.servers": spec["bootstrap"], "client.id": CLIENT_ID,
                             "compression.type": p["compression"], "linger.ms": 200})
        for m in p["messages"]:
            headers = [(h["key"], encode(h["value"])) for h in m["headers"]]
            producer.produce(p["topic"], key=encode(m["key"]), value=encode(m["value"]), headers=headers,
                             partition=p["partition"])
        if producer.flush(15) != 0:
            raise SystemExit("produce did not complete")


def consume(spec):
    consumer = Consumer({"bootstrap.servers": spec["bootstrap"], "client.id": CLIENT_ID,
                         "group.id": spec["groups"][0], "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(spec["topics"])
    got = 0
    for _ in range(100):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got += 1
            if got == spec["expect"]:
                consumer.commit(asynchronous=False)
                break
    consumer.close()
    if got != spec["expect"]:
        raise SystemExit(f"consumed {got} of {spec['expect']}")


def admin(spec):
    client = AdminClient({"bootstrap.servers": spec["bootstrap"], "client.id": CLIENT_ID})
    created, doomed = spec["topics"]
    wait_all(client.create_topics([NewTopic(created, 2, 1, config={"cleanup.policy": "compact"}),
                                   NewTopic(doomed, 1, 1)]))
    client.list_topics(timeout=10)
    wait_all(client.describe_configs([ConfigResource("topic", created), ConfigResource("broker", "1")]))
    wait_all(client.create_partitions([NewPartitions(created, 3)]))
    client.list_groups(timeout=10)
    wait_all(client.delete_topics([doomed]))


if __name__ == "__main__":
    spec = json.load(sys.stdin)
    {"produce": produce, "consume": consume, "admin": admin}[spec["action"]](spec)
