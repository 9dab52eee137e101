/**
 * The SASL PLAIN handshake of HiveServer2's binary transport (auth NONE, LDAP, CUSTOM), done
 * here rather than with hive-driver's own class so that a server that hangs up or never answers
 * (a NOSASL server reading our handshake as a Thrift message) ends the handshake with an error
 * instead of leaving it pending forever.
 *
 * Frames are [status byte][4-byte big-endian length][payload]: START with the mechanism name,
 * OK with "authzid\0user\0password", then the server answers COMPLETE, BAD or ERROR.
 */
/** The socket wrapper hive-driver hands to an authentication provider. */
interface Transport {
  connect(): void;
  addListener(event: string, listener: (...args: never[]) => void): void;
  removeListener(event: string, listener: (...args: never[]) => void): void;
  write(data: Buffer): void;
  end(): void;
}

const START = 0x01;
const OK = 0x02;
const BAD = 0x03;
const ERROR = 0x04;
const COMPLETE = 0x05;

/** Why a handshake did not complete. */
export class SaslHandshakeError extends Error {
  constructor(readonly reason: 'rejected' | 'closed' | 'timeout' | 'socket', message: string, readonly socketError?: NodeJS.ErrnoException) {
    super(message);
    this.name = 'SaslHandshakeError';
  }
}

function frame(status: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = status;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export class SaslPlainAuthentication {
  constructor(private readonly user: string, private readonly password: string, private readonly timeoutMs: number) {}

  authenticate<T extends Transport>(transport: T): Promise<T> {
    return new Promise((resolve, reject) => {
      let received = Buffer.alloc(0);
      let settled = false;
      let connected = false;

      const cleanup = () => {
        clearTimeout(timer);
        transport.removeListener('connect', onConnect);
        transport.removeListener('data', onData);
        transport.removeListener('close', onClose);
        transport.removeListener('error', onError);
      };
      const fail = (error: SaslHandshakeError) => {
        if (settled) return;
        settled = true;
        cleanup();
        transport.end();
        reject(error);
      };
      const succeed = () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(transport);
      };

      const onConnect = () => {
        connected = true;
        transport.write(frame(START, Buffer.from('PLAIN')));
        transport.write(frame(OK, Buffer.concat([Buffer.from(this.user), Buffer.from([0]), Buffer.from(this.user), Buffer.from([0]), Buffer.from(this.password)])));
      };
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 5) {
          const length = received.readUInt32BE(1);
          if (received.length < 5 + length) return;
          const status = received[0];
          const payload = received.subarray(5, 5 + length).toString('utf8');
          received = received.subarray(5 + length);
          if (status === COMPLETE) return succeed();
          if (status === BAD || status === ERROR) return fail(new SaslHandshakeError('rejected', payload || 'authentication failed'));
          if (status !== OK) return fail(new SaslHandshakeError('rejected', `unexpected SASL status ${status}`));
        }
      };
      const onClose = () => fail(new SaslHandshakeError('closed', connected ? 'the server closed the connection during the SASL handshake' : 'the connection closed before it was established'));
      const onError = (err: NodeJS.ErrnoException) => fail(new SaslHandshakeError('socket', err.message, err));
      const timer = setTimeout(() => fail(new SaslHandshakeError('timeout', `no answer to the SASL handshake within ${this.timeoutMs} ms`)), this.timeoutMs);

      transport.connect();
      transport.addListener('connect', onConnect);
      transport.addListener('data', onData);
      transport.addListener('close', onClose);
      transport.addListener('error', onError);
    });
  }
}
