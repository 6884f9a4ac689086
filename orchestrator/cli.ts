#!/usr/bin/env node
// `spinoza`: the testnet's command line. Parses argv (node:util parseArgs), runs one command, prints
// errors as one line `error[code]: message — hint` (stack only with --debug), exits non-zero on failure.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HANDLERS, type Values } from './cli/commands.js';
import { COMMANDS, GLOBAL_OPTIONS, commandHelp, mainHelp, type CommandName, type CommandSpec, type OptionSpec } from './cli/spec.js';
import { SpinozaError } from './errors.js';
import { DEFAULT_HOME } from './state.js';

/** Exit code after Ctrl-C, as shells report a SIGINT death. */
const EXIT_INTERRUPTED = 130;

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const controller = new AbortController();
  // First Ctrl-C: abort cleanly (commands tear down what they started). Second: leave at once.
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(new SpinozaError('aborted', 'interrupted', 'run `spinoza down` if a run was left up'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(argv, controller.signal);
  } catch (e) {
    const err = toSpinozaError(e, controller.signal);
    process.stderr.write(err.toLine() + '\n');
    if (debug) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return err.code === 'aborted' ? EXIT_INTERRUPTED : 1;
  }
}

/** Anything thrown ends as one of our errors: an abort as 'aborted', a bug as 'internal'. */
function toSpinozaError(e: unknown, signal: AbortSignal): SpinozaError {
  if (e instanceof SpinozaError) return e;
  if (signal.aborted && signal.reason instanceof SpinozaError) return signal.reason;
  return new SpinozaError('internal', (e as Error)?.message ?? String(e), 'this is a bug: please report it with the --debug output', { cause: e });
}

async function run(argv: string[], signal: AbortSignal): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    (wantsHelp ? process.stdout : process.stderr).write(mainHelp());
    return wantsHelp ? 0 : 1;
  }
  if (command === 'help') {
    const topic = rest[0];
    process.stdout.write(topic && isCommand(topic) ? commandHelp(COMMANDS[topic]) : mainHelp());
    return 0;
  }
  if (!isCommand(command)) {
    throw new SpinozaError('usage', `unknown command "${command}"`, `commands: ${Object.keys(COMMANDS).join(', ')}; see \`spinoza --help\``);
  }
  const spec = COMMANDS[command];
  const { values, positionals } = parseCommand(spec, rest);
  if (values.help) {
    process.stdout.write(commandHelp(spec));
    return 0;
  }
  const required = spec.args.filter((a) => !a.startsWith('[')).length;
  if (positionals.length < required || positionals.length > spec.args.length) {
    const expected = spec.args.length ? spec.args.join(' ') : 'no arguments';
    throw new SpinozaError('usage', `${command}: expected ${expected}, got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`,
      `usage: spinoza ${command}${spec.args.map((a) => ` ${a}`).join('')}; see \`spinoza ${command} --help\``);
  }
  // SPINOZA_HOME is read here only: library code gets the home as an argument.
  const homeFlag = typeof values['state-dir'] === 'string' ? values['state-dir'] : process.env.SPINOZA_HOME || undefined;
  return HANDLERS[command]({
    home: resolve(homeFlag ?? DEFAULT_HOME),
    homeGiven: homeFlag !== undefined,
    args: positionals,
    values,
    signal,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

const isCommand = (s: string): s is CommandName => Object.hasOwn(COMMANDS, s);

/** The command is the first word that is neither a global flag nor a global flag's value. */
function splitCommand(argv: string[]): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    const name = a.replace(/^--?/, '');
    if (GLOBAL_OPTIONS[name]?.type === 'string' && !a.includes('=')) i++;
  }
  return { command: undefined, rest: argv };
}

function parseCommand(spec: CommandSpec, args: string[]): { values: Values; positionals: string[] } {
  const all: Record<string, OptionSpec> = { ...spec.options, ...GLOBAL_OPTIONS };
  const options = Object.fromEntries(Object.entries(all).map(([name, o]) =>
    [name, { type: o.type, ...(o.short !== undefined && { short: o.short }) }]));
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (e) {
    // parseArgs' messages name the flag ("Unknown option '--nodez'"); keep them, drop its advice.
    // Some span lines ("argument is ambiguous.\nDid you forget…"): the error stays one line.
    const msg = (e as Error).message.split(/\.\s/)[0]!.replace(/\.$/, '');
    const dash = /ambiguous/.test(msg) ? 'a value starting with "-" is given as --flag=VALUE (e.g. --latency=-5ms); ' : '';
    throw new SpinozaError('usage', `${spec.name}: ${msg}`, `${dash}see \`spinoza ${spec.name} --help\``, { cause: e });
  }
}

const code = await main(process.argv.slice(2));
// Wait for stdout to drain (it may be an asynchronous pipe), then exit: detached node processes,
// open sockets or timers of a finished command must not keep the CLI alive.
await new Promise<void>((done) => process.stdout.write('', () => done()));
process.exit(code);
