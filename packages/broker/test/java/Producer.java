import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces keyed records with whichever Kafka Java client is on the classpath (0.8.2.2 or 0.9.0.1: only
 * API both have, so no flush()), then prints where each landed, as the broker acknowledged it.
 *
 * Usage: Producer <bootstrap> <acks> <records per topic> <topic>:<compression.type>...
 * Record i of a topic has key "key-(i % 7)" and value "<compression>-value-i".
 * Prints one line per record: "<topic> <partition> <offset> <key> <value>".
 */
public final class Producer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String acks = args[1];
    int count = Integer.parseInt(args[2]);
    for (int a = 3; a < args.length; a++) {
      String[] spec = args[a].split(":");
      String topic = spec[0];
      String compression = spec[1];
      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      props.put("acks", acks);
      props.put("compression.type", compression);
      // A little lingering, so that records share batches: compressed wrappers with many messages inside.
      props.put("linger.ms", "20");
      KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<byte[], byte[]>(props, new ByteArraySerializer(), new ByteArraySerializer());
      List<Future<RecordMetadata>> sent = new ArrayList<Future<RecordMetadata>>();
      List<String> lines = new ArrayList<String>();
      for (int i = 0; i < count; i++) {
        String key = "key-" + (i % 7);
        String value = compression + "-value-" + i;
        sent.add(producer.send(new ProducerRecord<byte[], byte[]>(
            topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8))));
        lines.add(key + " " + value);
      }
      for (int i = 0; i < count; i++) {
        RecordMetadata m = sent.get(i).get();
        System.out.println(topic + " " + m.partition() + " " + m.offset() + " " + lines.get(i));
      }
      producer.close();
    }
    System.out.flush();
  }
}
