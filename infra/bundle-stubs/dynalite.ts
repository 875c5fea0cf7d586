/**
 * Stands in for dynalite inside the bot bundle (see infra/bot-bundle.ts): the bot host uses
 * DynamoDB, and dynalite's native LevelDB binding cannot travel in a single-file bundle.
 */
export default function dynalite(): never {
  throw new Error('the embedded store is not part of the bundled bot: run it with SCHED_STORE=dynamodb');
}
