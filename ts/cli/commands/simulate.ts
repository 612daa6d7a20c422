/**
 * `diffrg simulate lif`: simulate the clustered LIF network and write spikes + ground truth.
 *
 *   diffrg simulate lif --neurons N --clusters K --duration SECONDS --seed S [--observe FRACTION] --out DIR
 *
 * writes DIR/spikes.csv (neuron,time_s; observed neurons only), DIR/observed.csv (neuron),
 * DIR/truth_edges.csv (source,target,weight; all neurons), DIR/truth_communities.csv
 * (neuron,community). Every file is written atomically.
 */
import { type Command, Option } from 'commander';
import { simulateLif, writeLifOutputs, type ObserveMode } from '../../sim';
import { UsageError, addCommonOptions, info, intOption, numberOption, printJson, seedOption, withProgress } from '../common';

interface SimulateOpts {
  neurons: number;
  clusters: number;
  duration: number;
  seed: number;
  observe: number;
  observeMode: ObserveMode;
  dt?: number;
  clusterInhibitory?: boolean;
  feedforward?: number;
  out: string;
  threads?: number;
  json?: boolean;
}

function fraction(flag: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`${flag} must be a fraction in [0, 1] (got '${value}')`);
    return v;
  };
}

export function register(program: Command): void {
  const sim = program.command('simulate').description('simulate neural activity with known ground truth');
  addCommonOptions(
    sim
      .command('lif')
      .description('clustered E/I leaky integrate-and-fire network (docs/lif.md)')
      .addOption(new Option('--neurons <n>', 'number of neurons (80% excitatory)').argParser(intOption('--neurons')).default(10000))
      .addOption(new Option('--clusters <k>', 'number of excitatory clusters').argParser(intOption('--clusters')).default(20))
      .addOption(new Option('--duration <seconds>', 'simulated time in seconds').argParser(numberOption('--duration', true)).default(1))
      .addOption(new Option('--seed <s>', 'random seed (non-negative integer)').argParser(seedOption()).default(1))
      .addOption(new Option('--observe <fraction>', 'fraction of neurons observed (written to spikes.csv)').argParser(fraction('--observe')).default(1))
      .addOption(new Option('--observe-mode <mode>', 'how observed neurons are chosen').choices(['random', 'stratified', 'clusters']).default('random'))
      .addOption(new Option('--dt <seconds>', 'integration step').argParser(numberOption('--dt', true)))
      .option('--cluster-inhibitory', 'deal inhibitory neurons to clusters too')
      .addOption(new Option('--feedforward <f>', 'directed E->E coupling around the ring of clusters, in [0, 1] (needs >= 3 clusters; default 0)').argParser(fraction('--feedforward')))
      .requiredOption('--out <dir>', 'output directory'),
  ).action(async (o: SimulateOpts) => {
    if (o.clusters > o.neurons) throw new UsageError(`--clusters (${o.clusters}) cannot exceed --neurons (${o.neurons})`);
    const t0 = process.hrtime.bigint();
    const sim = await withProgress('simulating', (onProgress) =>
      simulateLif({
        neurons: o.neurons,
        clusters: o.clusters,
        duration: o.duration,
        seed: o.seed,
        observe: o.observe,
        observeMode: o.observeMode,
        dt: o.dt,
        clusterInhibitory: o.clusterInhibitory,
        feedforward: o.feedforward,
        threads: o.threads,
        onProgress,
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const files = await writeLifOutputs(sim, o.out);
    let observedSpikes = 0;
    for (const i of sim.observed) observedSpikes += sim.spikeOffsets[i + 1] - sim.spikeOffsets[i];
    const summary = {
      neurons: sim.n,
      clusters: sim.clusters,
      duration: sim.duration,
      dt: sim.dt,
      steps: sim.steps,
      threads: sim.threads,
      synapses: sim.sources.length,
      spikes: sim.spikeTimes.length,
      observed: sim.observed.length,
      observedSpikes,
      rateExc: sim.rateExc,
      rateInh: sim.rateInh,
      simulateSeconds: seconds,
      files,
    };
    if (o.json) {
      printJson(summary);
      return;
    }
    info(
      `simulated ${sim.n} neurons (${sim.clusters} clusters, ${sim.sources.length} synapses) for ${sim.duration} s in ${seconds.toFixed(2)} s on ${sim.threads} thread(s)`,
    );
    info(`mean rates: E ${sim.rateExc.toFixed(2)} Hz, I ${sim.rateInh.toFixed(2)} Hz; ${observedSpikes} spikes of ${sim.observed.length} observed neurons`);
    info(`wrote ${files.spikes}, ${files.observed}, ${files.truthEdges}, ${files.truthCommunities}`);
  });
}
