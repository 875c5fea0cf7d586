/** What the terminal says when Sched starts: what runs where, and how to begin. Pure. */
import { NO_CONTAINER_CLI_MESSAGE } from '../adapters/container-engine.js';
import type { HostFacts } from '../commands/types.js';
import type { Paint } from './render.js';

export interface BannerFacts extends HostFacts {
  /** Interactive: `exit` stops Sched. Otherwise leaving the prompt leaves Sched running. */
  interactive: boolean;
}

const LABEL_WIDTH = 9;

export function renderBannerLines(facts: BannerFacts, paint: Paint = (_style, text) => text): string[] {
  const line = (label: string, value: string) => `  ${paint('dim', label.padEnd(LABEL_WIDTH))} ${value}`;
  const compute =
    facts.compute.kind === 'ec2'
      ? `EC2 spot instances${facts.compute.region ? ` in ${facts.compute.region}` : ''}`
      : facts.compute.containerCli
        ? `this machine, with ${facts.compute.containerCli}${facts.compute.engineProblem ? paint('failure', ` — which does not answer (${facts.compute.engineProblem}): jobs will fail until it does`) : ''}`
        : paint('failure', `this machine, but no container runtime found: ${NO_CONTAINER_CLI_MESSAGE}`);
  const store = facts.store.kind === 'embedded' ? `embedded (dynalite) at ${facts.store.path}` : `DynamoDB table ${facts.store.table}`;
  const api = `${facts.apiUrl}/v1  (health: ${facts.apiUrl}/healthz)${facts.apiTokenSet ? '' : '; no SCHED_API_TOKEN, so it refuses every request'}`;
  const leave = facts.interactive ? 'exit or Ctrl-C stops Sched' : 'end of input leaves the prompt; Sched keeps running';
  return [
    paint('bold', 'Sched is running.'),
    line('Compute', compute),
    line('Store', store),
    line('REST API', api),
    ...(facts.logFile ? [line('Log', facts.logFile)] : []),
    `Type ${paint('bold', 'help')} for the commands (the /sched prefix is optional); ${leave}.`,
  ];
}
