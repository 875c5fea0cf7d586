/**
 * `npm run build:bot`: bundles the bot as the Pulumi program ships it (dist/bot/sched.cjs) and
 * prints its size. `pulumi up` builds it by itself; this is for looking at the artifact.
 */
import { buildBotBundle } from '../infra/bot-bundle.js';

const bundle = buildBotBundle(process.argv[2]);
process.stdout.write(`${JSON.stringify({ path: bundle.path, bytes: bundle.bytes, mib: +(bundle.bytes / 2 ** 20).toFixed(2), sha256: bundle.sha256 })}\n`);
