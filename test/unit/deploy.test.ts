// deploy/: the Kubernetes manifests (issue 15). Every YAML document there is parsed and held to the
// gateway itself: its settings (config-env.ts, as the CLI test reads them), its configuration as
// loadConfig builds it, the paths it serves, its shutdown, and the bench's memory figures.
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { KNOWN_SETTINGS, parseEnvironment } from '../../src/config-env.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { fetchOf, IN_PROCESS_ORIGIN } from '../support/gateway.js';

const ROOT = new URL('../../', import.meta.url);
const DEPLOY = new URL('deploy/', ROOT);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

type Labels = Record<string, string>;
interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Labels };
  [field: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
}
interface KeyRef {
  name: string;
  key: string;
}
interface Port {
  name?: string;
  containerPort: number;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  image: string;
  ports?: Port[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Labels; limits?: Labels };
  securityContext?: Record<string, unknown>;
  args?: string[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}
interface PodTemplate {
  metadata: { labels: Labels; annotations?: Labels };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: Record<string, unknown>;
  };
}
interface Workload extends Manifest {
  spec: { replicas?: number; selector: { matchLabels: Labels }; template: PodTemplate };
}
interface Service extends Manifest {
  spec: { selector: Labels; ports: { name?: string; port: number; targetPort?: number | string }[] };
}
interface Pdb extends Manifest {
  spec: {
    selector: { matchLabels: Labels };
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
}
interface KeyValues extends Manifest {
  data?: Labels;
  stringData?: Labels;
}

const YAML_FILES = readdirSync(DEPLOY)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

/** Every document of every YAML file in deploy/, each tagged with its file; a parse error throws. */
const DOCUMENTS = YAML_FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, DEPLOY), 'utf8')).map((document): Manifest => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    return { ...(document.toJS() as Manifest), file };
  }),
);
const MANIFESTS = DOCUMENTS.filter((doc) => doc.kind !== 'Kustomization');
const ofKind = <T extends Manifest>(kind: string) => MANIFESTS.filter((m) => m.kind === kind) as T[];

const selects = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The one Deployment running the gateway's image, and its one container. */
function gatewayDeployment() {
  const deployments = ofKind<Workload>('Deployment').filter((d) =>
    d.spec.template.spec.containers.some((c) => c.image.split(':')[0]?.endsWith('xdr-user-gateway')),
  );
  expect(deployments).toHaveLength(1);
  const deployment = deployments[0] as Workload;
  const containers = deployment.spec.template.spec.containers;
  expect(containers).toHaveLength(1);
  return { deployment, container: containers[0] as Container, pod: deployment.spec.template };
}

/** A ConfigMap's or Secret's keys and values (a Secret's `data` is base64). */
function keyValues(kind: 'ConfigMap' | 'Secret', name: string): Labels {
  const found = ofKind<KeyValues>(kind).filter((m) => m.metadata.name === name);
  expect({ kind, name, found: found.length }).toEqual({ kind, name, found: 1 });
  const manifest = found[0] as KeyValues;
  const data = Object.fromEntries(
    Object.entries(manifest.data ?? {}).map(([key, value]) => [
      key,
      kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value,
    ]),
  );
  return { ...data, ...manifest.stringData };
}

/** The container's environment as the kubelet would set it: envFrom first, then env. */
function environmentOf(container: Container): Labels {
  const env: Labels = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, keyValues('ConfigMap', source.configMapRef.name));
    if (source.secretRef) Object.assign(env, keyValues('Secret', source.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    const { secretKeyRef, configMapKeyRef } = variable.valueFrom ?? {};
    const ref = secretKeyRef ?? configMapKeyRef;
    if (ref) {
      const values = keyValues(secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
      expect(Object.keys(values)).toContain(ref.key);
      env[variable.name] = values[ref.key] as string;
    } else env[variable.name] = variable.value ?? '';
  }
  return env;
}

/** A probe's or Service's port: a number, or the name of one of the container's ports. */
function portNumber(port: number | string | undefined, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Bytes of a Kubernetes quantity such as 256Mi, 192M or 268435456. */
function bytes(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity ?? '');
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

const MIB = 2 ** 20;

it('parses every YAML document in deploy/; kustomization.yaml lists every manifest but the Secret template', () => {
  expect(YAML_FILES).toContain('kustomization.yaml');
  for (const doc of MANIFESTS) {
    expect({ file: doc.file, apiVersion: typeof doc.apiVersion, name: typeof doc.metadata?.name }).toEqual({
      file: doc.file,
      apiVersion: 'string',
      name: 'string',
    });
  }
  const kustomization = DOCUMENTS.find((doc) => doc.kind === 'Kustomization') as Manifest & {
    resources: string[];
  };
  const manifests = YAML_FILES.filter((file) => file !== 'kustomization.yaml' && !file.includes('.example.'));
  expect([...kustomization.resources].sort()).toEqual(manifests);
  // The Secret only as a template, never applied with the rest (it would overwrite the real one).
  expect(ofKind('Secret').map((s) => s.file)).toEqual(['secret.example.yaml']);
});

it('runs 3 replicas of the image built from the Dockerfile, tagged with the package version', () => {
  const { deployment, container } = gatewayDeployment();
  expect(deployment.spec.replicas).toBe(3);
  const { version } = JSON.parse(read('package.json')) as { version: string };
  expect(container.image).toBe(`xdr-user-gateway:${version}`);
  expect(selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
});

it('sets only settings the gateway knows, from the ConfigMap and the Secret (by secretKeyRef)', () => {
  const { container } = gatewayDeployment();
  const names = Object.keys(environmentOf(container));
  expect(names.filter((name) => !KNOWN_SETTINGS.includes(name))).toEqual([]);
  for (const name of ['XDR_CLIENT_ID', 'XDR_CLIENT_SECRET']) {
    const variable = container.env?.find((v) => v.name === name);
    expect(variable?.valueFrom?.secretKeyRef).toEqual({ name: 'xdr-user-gateway-credentials', key: name });
  }
  // No secret in the ConfigMap, no setting given twice.
  const configMaps = (container.envFrom ?? []).flatMap((s) => (s.configMapRef ? [s.configMapRef.name] : []));
  const fromConfigMaps = configMaps.flatMap((name) => Object.keys(keyValues('ConfigMap', name)));
  expect(fromConfigMaps.filter((name) => /SECRET|CLIENT_ID/.test(name))).toEqual([]);
  expect(fromConfigMaps.filter((name) => container.env?.some((v) => v.name === name))).toEqual([]);
});

it('is a valid production configuration against Cisco, which stops rather than fall back to the emulator', () => {
  const env = environmentOf(gatewayDeployment().container);
  // Without the Cisco settings (a missing Secret, a dropped region) the start stops.
  const withoutCisco = Object.fromEntries(
    Object.entries(env).filter(([name]) => !/^XDR_(REGION|BASE_URL|CLIENT_ID|CLIENT_SECRET)$/.test(name)),
  );
  expect(() => loadConfig(withoutCisco)).toThrow(ConfigError);
  const config = loadConfig(env);
  expect(config.warnings).toEqual([]);
  expect(config.production).toBe(true);
  expect(config.host).toBe('0.0.0.0');
});

it('probes paths the gateway serves, on the container port, which is the configured PORT', async () => {
  const { container, pod } = gatewayDeployment();
  const probes = {
    startup: container.startupProbe?.httpGet,
    liveness: container.livenessProbe?.httpGet,
    readiness: container.readinessProbe?.httpGet,
  };

  // Every probe's path and the scrape path answer 200 from a gateway made as main.ts makes it
  // (default mode, in-process: the mode changes none of them).
  const paths = [
    ...Object.values(probes).map((probe) => probe?.path),
    pod.metadata.annotations?.['prometheus.io/path'],
  ];
  const gateway = await createGateway(loadConfig({ EMULATOR_PORT: '0' }), {
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const fetch = fetchOf(gateway);
    for (const path of new Set(paths)) {
      const response = await fetch(`${IN_PROCESS_ORIGIN}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      await response.text();
    }
  } finally {
    await gateway.close();
  }
  // Liveness on the process alone, readiness on the upstream too.
  expect({
    startup: probes.startup?.path,
    liveness: probes.liveness?.path,
    readiness: probes.readiness?.path,
  }).toEqual({ startup: '/healthz', liveness: '/healthz', readiness: '/readyz' });

  const port = loadConfig(environmentOf(container)).port;
  expect(container.ports?.map((p) => p.containerPort)).toEqual([port]);
  for (const probe of Object.values(probes)) expect(portNumber(probe?.port, container)).toBe(port);
});

it('routes the Service and the Prometheus scrape to the container port, /metrics', () => {
  const { container, pod } = gatewayDeployment();
  const port = container.ports?.[0]?.containerPort;
  const services = ofKind<Service>('Service').filter((s) => selects(s.spec.selector, pod.metadata.labels));
  expect(services.map((s) => s.metadata.name)).toEqual(['xdr-user-gateway']);
  const targets = (services[0] as Service).spec.ports.map((p) =>
    portNumber(p.targetPort ?? p.port, container),
  );
  expect(targets).toEqual([port]);
  expect(pod.metadata.annotations).toMatchObject({
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(port),
    'prometheus.io/path': '/metrics',
  });
});

it('gives the pod longer than the preStop sleep, SHUTDOWN_TIMEOUT_MS and the final exit', () => {
  const { container, pod } = gatewayDeployment();
  // As set in the manifest, else the gateway's default: loadConfig reads both.
  const shutdownTimeoutMs = loadConfig(environmentOf(container)).operations.shutdownTimeoutMs;
  const preStop = container.lifecycle?.preStop;
  const command = preStop?.exec?.command ?? [];
  const sleepSec = preStop?.sleep?.seconds ?? (command[0] === 'sleep' ? Number(command[1]) : NaN);
  // A short sleep, so that the endpoints drop the pod before the gateway stops accepting.
  expect(sleepSec).toBeGreaterThan(0);
  expect(sleepSec).toBeLessThanOrEqual(15);
  // After the drain the gateway exits "within one more second" (docs/operations.md, Shutdown).
  const exitMs = 1_000;
  const graceSec = pod.spec.terminationGracePeriodSeconds ?? 30;
  expect(graceSec * 1000).toBeGreaterThan(sleepSec * 1000 + shutdownTimeoutMs + exitMs);
});

it('keeps a PodDisruptionBudget over the gateway pods (only) that still lets a node drain', () => {
  const { deployment, pod } = gatewayDeployment();
  const pdbs = ofKind<Pdb>('PodDisruptionBudget');
  expect(pdbs).toHaveLength(1);
  const pdb = pdbs[0] as Pdb;
  expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
  for (const other of ofKind<Workload>('Deployment').filter((d) => d !== deployment)) {
    expect(selects(pdb.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
  }
  const replicas = deployment.spec.replicas ?? 1;
  const allowed =
    pdb.spec.maxUnavailable !== undefined
      ? Number(pdb.spec.maxUnavailable)
      : replicas - Number(pdb.spec.minAvailable);
  expect(allowed).toBeGreaterThanOrEqual(1);
  expect(allowed).toBeLessThan(replicas);
});

it('points REDIS_URL at the Redis Service, which selects the Redis pods on their port', () => {
  const env = environmentOf(gatewayDeployment().container);
  const url = new URL(env.REDIS_URL ?? '');
  const service = ofKind<Service>('Service').find((s) => s.metadata.name === url.hostname);
  expect(service?.metadata.name).toBe(url.hostname);
  const servicePort = service?.spec.ports.find((p) => p.port === Number(url.port || 6379));
  expect(servicePort?.port).toBe(Number(url.port || 6379));
  const redis = ofKind<Workload>('Deployment').filter((d) =>
    selects(service?.spec.selector ?? {}, d.spec.template.metadata.labels),
  );
  expect(redis).toHaveLength(1);
  const container = (redis[0] as Workload).spec.template.spec.containers[0] as Container;
  expect(container.image).toMatch(/^(redis|valkey)/);
  expect(portNumber(servicePort?.targetPort ?? servicePort?.port, container)).toBe(6379);
  // Redis holds the fleet's quota counters beside the cached users: under memory pressure only keys
  // with the soonest expiry (the cached users) may go, never an hour's count of calls (allkeys-*).
  const args = container.args ?? [];
  expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('volatile-ttl');
});

it('sizes memory from the bench: request and limit hold the measured peak RSS, the limit within the budget', () => {
  // The bench's peak RSS lines (VmHWM kB / 1024, so MiB), in its README's quoted run and its latest results.
  const peakLine = /Gateway peak RSS \(both gateway processes, whole run\): ([\d.]+) MB/g;
  const quoted = [read('bench/README.md'), read('bench/results/latest.md')].flatMap((text) =>
    [...text.matchAll(peakLine)].map((m) => Number(m[1])),
  );
  const latest = (JSON.parse(read('bench/results/latest.json')) as { peakRssMb: number }).peakRssMb;
  const figures = [...quoted, latest];
  expect(quoted.length).toBeGreaterThanOrEqual(2);
  const peakMib = Math.max(...figures);
  const budget = /peak RSS, growth on repeat *\|[^\n]*≤ (\d+) MB/.exec(read('bench/README.md'));
  const budgetMib = Number(budget?.[1]);
  expect(budgetMib).toBeGreaterThan(peakMib);

  const { resources } = gatewayDeployment().container;
  const limit = bytes(resources?.limits?.memory);
  const request = bytes(resources?.requests?.memory);
  expect(limit).toBeGreaterThanOrEqual(peakMib * MIB);
  expect(request).toBeGreaterThanOrEqual(peakMib * MIB);
  expect(request).toBeLessThanOrEqual(limit);
  expect(limit).toBeLessThanOrEqual(budgetMib * MIB);
});

it('counts the org quota fleet-wide in Redis, and divides it among the replicas while Redis is down', () => {
  const { deployment, container } = gatewayDeployment();
  const orgQuota = parseEnvironment({}).values.QUOTA_PER_HOUR as number;
  const cache = loadConfig(environmentOf(container)).cache;
  expect(cache?.redisUrl).toBeDefined();
  expect(cache?.quotaPerHour).toBeGreaterThan(0);
  expect(cache?.quotaPerHour).toBeLessThanOrEqual(orgQuota);
  expect(cache?.fallbackReplicas).toBe(deployment.spec.replicas);
});

it('runs as the Dockerfile does: the non-root node user (1000), read-only root filesystem', () => {
  expect(read('Dockerfile')).toMatch(/^USER node$/m);
  const { container, pod } = gatewayDeployment();
  expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  expect(container.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
});
