/**
 * Controller failover time: a 3-node cluster (combined roles) with Kafka's default quorum timeouts
 * (controller.quorum.election.timeout.ms=1000, controller.quorum.fetch.timeout.ms=2000); the active
 * controller is killed with SIGKILL and restarted, RUNS times; we time SIGKILL -> both survivors
 * agree on a new leader (DescribeQuorum). Prints median and max.
 *
 *   npx tsx packages/broker/bench/controller-failover.ts [runs]
 */
import { ApiKey, Connection } from '@flotilla/protocol';
import { quorumCluster } from '../test/harness.js';

const runs = Number(process.argv[2] ?? 10);

async function leaderSeenBy(port: number): Promise<{ leaderId: number; epoch: number } | null> {
  try {
    const c = await Connection.open({ host: '127.0.0.1', port, requestTimeoutMs: 1000, connectTimeoutMs: 500 });
    try {
      const r = await c.request(ApiKey.DescribeQuorum, {
        topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
      });
      const p = r.topics[0]?.partitions[0];
      return p ? { leaderId: p.leaderId, epoch: p.leaderEpoch } : null;
    } finally {
      await c.close();
    }
  } catch {
    return null;
  }
}

const cluster = await quorumCluster(3, {
  'controller.quorum.election.timeout.ms': '1000',
  'controller.quorum.fetch.timeout.ms': '2000',
  'broker.session.timeout.ms': '9000',
  'broker.heartbeat.interval.ms': '2000',
});
const times: number[] = [];
try {
  await cluster.start();
  for (let i = 0; i < runs; i++) {
    let leader: { leaderId: number; epoch: number } | null = null;
    while (!leader || leader.leaderId < 0) leader = await leaderSeenBy(cluster.node(1).controllerPort);
    const survivors = [1, 2, 3].filter((x) => x !== leader?.leaderId);
    const killedAt = performance.now();
    await cluster.stop(leader.leaderId, 'SIGKILL');
    for (;;) {
      const views = await Promise.all(survivors.map((id) => leaderSeenBy(cluster.node(id).controllerPort)));
      const [a, b] = views;
      if (a && b && a.leaderId >= 0 && a.leaderId === b.leaderId && a.epoch === b.epoch && a.epoch > leader.epoch)
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    times.push(performance.now() - killedAt);
    console.log(`run ${i + 1}: ${Math.round(times.at(-1) as number)} ms (killed node ${leader.leaderId})`);
    await cluster.start([leader.leaderId]);
  }
} finally {
  await cluster.close();
}
times.sort((a, b) => a - b);
console.log(
  `controller failover over ${times.length} runs: median ${Math.round(times[Math.floor(times.length / 2)] ?? 0)} ms, max ${Math.round(times.at(-1) ?? 0)} ms`,
);
