// The container's health check (Docker HEALTHCHECK): healthy when the broker accepts a connection on its
// client listener. Runs on the image's own Node binary, because a FROM scratch image has no shell or curl.
import { connect } from 'node:net';

const port = Number(process.env.FLOTILLA_HEALTH_PORT ?? 9092);
const socket = connect({ host: '127.0.0.1', port, timeout: 2000 });
socket.once('connect', () => {
  socket.destroy();
  process.exit(0);
});
socket.once('error', () => process.exit(1));
socket.once('timeout', () => process.exit(1));
