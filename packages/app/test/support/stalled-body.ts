import { connect } from 'node:net';

/**
 * Sends a /track request whose body stops a third of the way (Content-Length says 100 bytes)
 * and resolves with everything the server wrote until it closed the connection.
 */
export function stalledBody(publicUrl: string): Promise<string> {
  const url = new URL(publicUrl);
  const socket = connect(Number(url.port), url.hostname);
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
  });
  socket.write('POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"source":');
  return answer;
}
