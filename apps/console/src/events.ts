/**
 * The API's event stream (issue 6: GET /v1/events, server-sent events of operation and state changes).
 * EventSource cannot send an Authorization header, so this reads the stream with fetch and parses the
 * SSE framing itself. When the API has no stream (404) or it drops, the pages keep polling: events only
 * make them refresh sooner.
 */
import { useEffect, useRef } from 'react';
import type { Api } from './api.js';

export interface ServerEvent {
  event: string;
  data: unknown;
}

export function useEvents(api: Api, onEvent: (e: ServerEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const abort = new AbortController();
    let retryMs = 2_000;
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const response = await fetch('/v1/events', {
            headers: {
              accept: 'text/event-stream',
              authorization: `Bearer ${api.credentials.accessKeyId}:${api.credentials.secretAccessKey}`,
            },
            signal: abort.signal,
          });
          if (response.status === 404) return; // no event stream on this API: polling only
          if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
          retryMs = 2_000;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let event = 'message';
              const data: string[] = [];
              for (const line of frame.split('\n')) {
                if (line.startsWith('event:')) event = line.slice(6).trim();
                else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
              }
              if (data.length) {
                let parsed: unknown = data.join('\n');
                try {
                  parsed = JSON.parse(parsed as string);
                } catch {}
                handler.current({ event, data: parsed });
              }
              end = buffer.indexOf('\n\n');
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        await new Promise((r) => setTimeout(r, retryMs));
        retryMs = Math.min(retryMs * 2, 30_000);
      }
    };
    void run();
    return () => abort.abort();
  }, [api]);
}
