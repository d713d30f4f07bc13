import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Kafka 0.9 KafkaConsumer in a consumer group (GroupCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * OffsetFetch/OffsetCommit, Fetch v1 with message format v0, LeaveGroup on close).
 *
 * Usage: Consumer <bootstrap> <group> <topic[,topic]> <records wanted> <idle ms>
 *   Stops after the records wanted or once nothing arrived for idle ms (and at least one assignment), or,
 *   with records wanted = 0, when its standard input closes. Then commits its position and closes.
 * Prints "assigned <topic>-<p> ...", "revoked ..." (after committing what it consumed), "record <topic>
 * <partition> <offset> <key> <value>" and finally "committed".
 */
public final class Consumer {
  private static volatile boolean stdinClosed = false;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    List<String> topics = Arrays.asList(args[2].split(","));
    int wanted = Integer.parseInt(args[3]);
    long idleMs = Long.parseLong(args[4]);
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", group);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.put("session.timeout.ms", "6000");
    props.put("heartbeat.interval.ms", "300");
    props.put("fetch.max.wait.ms", "100");
    final KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<byte[], byte[]>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    final boolean[] assignedOnce = {false};
    consumer.subscribe(topics, new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        // What was consumed is committed before the partitions may go to another member.
        consumer.commitSync();
        System.out.println("revoked" + names(partitions));
        System.out.flush();
      }

      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        assignedOnce[0] = true;
        System.out.println("assigned" + names(partitions));
        System.out.flush();
      }
    });
    if (wanted == 0) {
      Thread watcher = new Thread(new Runnable() {
        public void run() {
          try {
            InputStream in = System.in;
            while (in.read() >= 0) {}
          } catch (Exception e) {
            // closed either way
          }
          stdinClosed = true;
        }
      });
      watcher.setDaemon(true);
      watcher.start();
    }
    int got = 0;
    long lastRecordAt = System.currentTimeMillis();
    while (true) {
      ConsumerRecords<byte[], byte[]> records = consumer.poll(100);
      for (ConsumerRecord<byte[], byte[]> r : records) {
        System.out.println("record " + r.topic() + " " + r.partition() + " " + r.offset() + " "
            + text(r.key()) + " " + text(r.value()));
        got++;
        lastRecordAt = System.currentTimeMillis();
      }
      System.out.flush();
      if (wanted == 0) {
        if (stdinClosed) break;
      } else if (got >= wanted) {
        break;
      } else if (assignedOnce[0] && System.currentTimeMillis() - lastRecordAt > idleMs) {
        break;
      }
    }
    consumer.commitSync();
    System.out.println("committed");
    System.out.flush();
    consumer.close();
  }

  private static String names(Collection<TopicPartition> partitions) {
    List<String> out = new ArrayList<String>();
    for (TopicPartition tp : partitions) out.add(tp.topic() + "-" + tp.partition());
    java.util.Collections.sort(out);
    StringBuilder sb = new StringBuilder();
    for (String s : out) sb.append(' ').append(s);
    return sb.toString();
  }

  private static String text(byte[] b) {
    return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
  }
}
