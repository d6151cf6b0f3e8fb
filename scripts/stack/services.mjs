// The three services Inflow's distributed engine needs, each installed from the registries
// this project may use (Debian packages, Maven Central) and started natively on loopback.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fetchCached } from './fetch.mjs';
import { PULSAR_TOKEN_KEY, signPulsarToken } from './pulsar-token.mjs';
import { say } from './log.mjs';
import { portOpen, startDetached } from './processes.mjs';

const MAVEN = 'https://repo1.maven.org/maven2';
export const PULSAR_VERSION = '4.0.8';
export const ELASTICSEARCH_VERSION = '8.19.21';
const ES_USER = 'inflow-es';

export const PORTS = { redis: 16379, pulsarBroker: 16650, pulsarWeb: 18080, pulsarBrokerTls: 16651, pulsarWebTls: 18443, bookie: 13181, elasticsearch: 19200, elasticTransport: 19300 };

/**
 * The stack's Pulsar requires token authentication, as a secured production cluster does, so
 * that every test and benchmark on it goes through Inflow's authentication on all three ways in
 * (admin API, WebSocket API, binary protocol). Its signing key is fixed: the stack listens on
 * loopback only and holds test data. INFLOW_STACK_PULSAR_AUTH=0 starts Pulsar without it.
 */
const PULSAR_AUTH = process.env.INFLOW_STACK_PULSAR_AUTH !== '0';
/** The role `inflow`, without expiry. */
const PULSAR_TOKEN = signPulsarToken({ sub: 'inflow' });
const pulsarHeaders = () => (PULSAR_AUTH ? { authorization: `Bearer ${PULSAR_TOKEN}` } : {});

/** Where the TLS material of the stack's Pulsar is kept (made once, by install): a CA of its own and a certificate for 127.0.0.1 and localhost. */
const tlsDir = (cacheDir) => join(cacheDir, 'pulsar-tls');

/**
 * The environment the distributed engine and the tests read. Pulsar also listens with TLS
 * (INFLOW_STACK_PULSAR_TLS_*), under a certificate of the stack's own CA
 * (INFLOW_STACK_TLS_CA_FILE: what NODE_EXTRA_CA_CERTS must name for a process to trust it).
 */
export function stackEnv(cacheDir) {
  return {
    INFLOW_REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
    INFLOW_PULSAR_URL: `http://127.0.0.1:${PORTS.pulsarWeb}`,
    INFLOW_PULSAR_SERVICE_URL: `pulsar://127.0.0.1:${PORTS.pulsarBroker}`,
    ...(PULSAR_AUTH ? { INFLOW_PULSAR_TOKEN: PULSAR_TOKEN } : {}),
    INFLOW_ELASTICSEARCH_URL: `http://127.0.0.1:${PORTS.elasticsearch}`,
    INFLOW_STACK_PULSAR_TLS_URL: `https://127.0.0.1:${PORTS.pulsarWebTls}`,
    INFLOW_STACK_PULSAR_TLS_SERVICE_URL: `pulsar+ssl://127.0.0.1:${PORTS.pulsarBrokerTls}`,
    INFLOW_STACK_TLS_CA_FILE: join(tlsDir(cacheDir), 'ca.crt'),
  };
}

/** A CA and a server certificate it signed (127.0.0.1, localhost), with openssl, unless they exist. */
function makeTlsMaterial(dir) {
  if (existsSync(join(dir, 'server.crt'))) return;
  aptInstall('openssl', 'openssl');
  say('pulsar: making a test CA and a certificate for 127.0.0.1');
  mkdirSync(dir, { recursive: true });
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=Inflow test stack CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3650', '-extfile', 'server.ext');
}

/** Elasticsearch's heap (INFLOW_STACK_ES_HEAP, e.g. 2g): also what its indexing buffer is a tenth of. */
const ES_HEAP = process.env.INFLOW_STACK_ES_HEAP || '1g';

function javaHome() {
  const jvms = readdirSync('/usr/lib/jvm').filter((name) => /17|21/.test(name) && existsSync(join('/usr/lib/jvm', name, 'bin', 'java')));
  if (jvms.length === 0) throw new Error('no Java 17 or 21 under /usr/lib/jvm (apt-get install openjdk-17-jre-headless)');
  return join('/usr/lib/jvm', jvms.sort()[0]);
}

function aptInstall(binary, pkg) {
  try {
    execFileSync('which', [binary], { stdio: 'ignore' });
    return;
  } catch {
    say(`installing ${pkg} from Debian`);
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Fails early, naming the folder, when a service user could not reach its files (e.g. under a 0700 home). */
function assertEnterable(path, user) {
  for (let dir = dirname(path); dir !== '/'; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(`${user} cannot enter ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}); set INFLOW_STACK_CACHE to a folder outside it`);
    }
  }
}

async function httpOk(url, accept = () => true, headers = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  return response.ok && accept(await response.text());
}

/**
 * Pulsar's admin answers before its bookie does: after a SIGKILL the broker may take minutes more
 * to open a ledger ("Not enough non-faulty bookies available"). Loading a topic of the stack's
 * own opens its managed ledger, so an answer means messages can be stored.
 */
async function pulsarStoresMessages() {
  const topic = `http://127.0.0.1:${PORTS.pulsarWeb}/admin/v2/persistent/public/default/inflow-stack-ready`;
  const created = await fetch(topic, { method: 'PUT', headers: pulsarHeaders(), signal: AbortSignal.timeout(10_000) });
  if (created.status !== 204 && created.status !== 409) return false;
  return (await fetch(`${topic}/stats`, { headers: pulsarHeaders(), signal: AbortSignal.timeout(10_000) })).ok;
}

export const services = {
  redis: {
    ports: [PORTS.redis],
    async install() {
      aptInstall('redis-server', 'redis-server');
    },
    start(runDir, logFile) {
      return startDetached(
        'redis-server',
        ['--port', String(PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', runDir, '--protected-mode', 'no'],
        { logFile, cwd: runDir },
      );
    },
    ready: () => portOpen(PORTS.redis),
    timeoutMs: 20_000,
  },

  pulsar: {
    ports: [PORTS.pulsarBroker, PORTS.pulsarWeb, PORTS.pulsarBrokerTls, PORTS.pulsarWebTls, PORTS.bookie],
    async install(cacheDir) {
      makeTlsMaterial(tlsDir(cacheDir));
      const home = join(cacheDir, `apache-pulsar-${PULSAR_VERSION}`);
      if (existsSync(join(home, 'bin', 'pulsar'))) return;
      const archive = await fetchCached(
        `${MAVEN}/org/apache/pulsar/pulsar-server-distribution/${PULSAR_VERSION}/pulsar-server-distribution-${PULSAR_VERSION}-bin.tar.gz`,
        join(cacheDir, `pulsar-${PULSAR_VERSION}.tar.gz`),
      );
      say('pulsar: unpacking');
      execFileSync('tar', ['xzf', archive, '-C', cacheDir]);
    },
    start(runDir, logFile, cacheDir) {
      const home = join(cacheDir, `apache-pulsar-${PULSAR_VERSION}`);
      const conf = join(runDir, 'standalone.conf');
      const settings = {
        brokerServicePort: PORTS.pulsarBroker,
        webServicePort: PORTS.pulsarWeb,
        bindAddress: '127.0.0.1',
        advertisedAddress: '127.0.0.1',
        webSocketServiceEnabled: 'true',
        // Topics are created by Inflow at start; keep idle ones so a backlog survives a quiet minute.
        brokerDeleteInactiveTopicsEnabled: 'false',
        // A batch of queued requests travels base64-encoded in one WebSocket frame: room for the largest.
        webSocketMaxTextFrameSize: 8 * 1024 * 1024,
        // Standalone does not fsync its journal before confirming unless asked (INFLOW_STACK_PULSAR_FSYNC=1).
        journalSyncData: process.env.INFLOW_STACK_PULSAR_FSYNC === '1' ? 'true' : 'false',
        // The journal writes out as soon as it has nothing more queued, instead of waiting up to
        // journalMaxGroupWaitMSec for more: each receipt comes that much sooner, and the edge,
        // which answers when its batch's receipt arrives, serves 1.65x the requests a second
        // (docs/performance-history.md, tenth session). INFLOW_STACK_PULSAR_FLUSH_EMPTY=0 keeps Pulsar's default.
        journalFlushWhenQueueEmpty: process.env.INFLOW_STACK_PULSAR_FLUSH_EMPTY === '0' ? 'false' : 'true',
        // TLS beside the plain ports: the binary protocol and the web service (admin, WebSocket).
        brokerServicePortTls: PORTS.pulsarBrokerTls,
        webServicePortTls: PORTS.pulsarWebTls,
        tlsCertificateFilePath: join(tlsDir(cacheDir), 'server.crt'),
        tlsKeyFilePath: join(tlsDir(cacheDir), 'server.key'),
        tlsTrustCertsFilePath: join(tlsDir(cacheDir), 'ca.crt'),
        ...(PULSAR_AUTH
          ? {
              authenticationEnabled: 'true',
              authenticationProviders: 'org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
              tokenSecretKey: `data:;base64,${PULSAR_TOKEN_KEY.toString('base64')}`,
              superUserRoles: 'inflow',
              // Roles other than the super-user's may do only what they were granted (a tenant's admins: their tenant).
              authorizationEnabled: 'true',
              // The broker's own clients (the WebSocket service in standalone) show the same token.
              brokerClientAuthenticationPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
              brokerClientAuthenticationParameters: `token:${PULSAR_TOKEN}`,
              // How often the broker looks for connections whose token expired, and asks them
              // again (AUTH_CHALLENGE); Pulsar's default is 60 s, shortened for the test of it.
              authenticationRefreshCheckSeconds: '3',
            }
          : { authenticationEnabled: 'false' }),
      };
      let text = readFileSync(join(home, 'conf', 'standalone.conf'), 'utf8');
      for (const [key, value] of Object.entries(settings)) {
        const line = new RegExp(`^${key}=.*$`, 'm');
        text = line.test(text) ? text.replace(line, `${key}=${value}`) : `${text}\n${key}=${value}\n`;
      }
      writeFileSync(conf, text);
      return startDetached(
        join(home, 'bin', 'pulsar'),
        ['standalone', '-nfw', '-nss', '-c', conf, '--metadata-dir', join(runDir, 'metadata'), '--bookkeeper-dir', join(runDir, 'bookkeeper'), '--bookkeeper-port', String(PORTS.bookie)],
        { logFile, cwd: home, env: { JAVA_HOME: javaHome(), PULSAR_MEM: '-Xms256m -Xmx1g -XX:MaxDirectMemorySize=1g', PULSAR_LOG_DIR: runDir } },
      );
    },
    // Ready, and as configured here: a Pulsar left running from before (no authentication, no
    // TLS port) is not taken for this one.
    ready: async () =>
      (await httpOk(`http://127.0.0.1:${PORTS.pulsarWeb}/admin/v2/tenants`, (body) => body.includes('public'), pulsarHeaders())) &&
      (!PULSAR_AUTH || (await fetch(`http://127.0.0.1:${PORTS.pulsarWeb}/admin/v2/tenants`, { signal: AbortSignal.timeout(2000) })).status === 401) &&
      (await portOpen(PORTS.pulsarBrokerTls)) &&
      (await pulsarStoresMessages()),
    timeoutMs: 120_000,
  },

  elasticsearch: {
    ports: [PORTS.elasticsearch, PORTS.elasticTransport],
    async install(cacheDir) {
      const home = join(cacheDir, `elasticsearch-${ELASTICSEARCH_VERSION}`);
      if (!existsSync(join(home, 'bin', 'elasticsearch'))) {
        const archive = await fetchCached(
          `${MAVEN}/org/elasticsearch/distribution/integ-test-zip/elasticsearch/${ELASTICSEARCH_VERSION}/elasticsearch-${ELASTICSEARCH_VERSION}.zip`,
          join(cacheDir, `elasticsearch-${ELASTICSEARCH_VERSION}.zip`),
        );
        aptInstall('unzip', 'unzip');
        say('elasticsearch: unpacking');
        execFileSync('unzip', ['-q', '-o', archive, '-d', cacheDir]);
      }
      // Elasticsearch refuses to run as root: it gets a user of its own.
      try {
        execFileSync('id', [ES_USER], { stdio: 'ignore' });
      } catch {
        say(`elasticsearch: creating system user ${ES_USER}`);
        execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ES_USER]);
      }
      execFileSync('chown', ['-R', ES_USER, home]);
      assertEnterable(home, ES_USER);
    },
    start(runDir, logFile, cacheDir) {
      const home = join(cacheDir, `elasticsearch-${ELASTICSEARCH_VERSION}`);
      const uid = Number(execFileSync('id', ['-u', ES_USER]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', ES_USER]).toString().trim());
      for (const dir of ['data', 'logs']) {
        mkdirSync(join(runDir, dir), { recursive: true });
        chownSync(join(runDir, dir), uid, gid);
      }
      chownSync(runDir, uid, gid);
      chownSync(logFile, uid, gid);
      const settings = [
        'discovery.type=single-node',
        'xpack.security.enabled=false',
        `http.port=${PORTS.elasticsearch}`,
        `transport.port=${PORTS.elasticTransport}`,
        'network.host=127.0.0.1',
        `path.data=${join(runDir, 'data')}`,
        `path.logs=${join(runDir, 'logs')}`,
        'cluster.routing.allocation.disk.threshold_enabled=false',
      ];
      return startDetached(join(home, 'bin', 'elasticsearch'), settings.flatMap((s) => ['-E', s]), {
        logFile,
        cwd: runDir,
        uid,
        gid,
        env: { ES_JAVA_HOME: process.env.INFLOW_STACK_ES_JAVA_HOME ?? javaHome(), ES_JAVA_OPTS: `-Xms${ES_HEAP} -Xmx${ES_HEAP}`, HOME: runDir },
      });
    },
    ready: () => httpOk(`http://127.0.0.1:${PORTS.elasticsearch}/_cluster/health?wait_for_status=yellow&timeout=1s`),
    // Ready once every primary shard is started: after a SIGKILL under load, with the hundreds of
    // indices a test run leaves, recovering them took 94 s after the node's 22 s start on this 2-core box.
    timeoutMs: 300_000,
  },
};
