/**
 * `taskpack trust list | add NAME KEY | remove NAME|FINGERPRINT | require on|off`: the pack
 * store's trusted signing keys and whether unsigned packs are refused (packs/trust.ts; the
 * app's Task packs page changes the same file).
 */
import { PackStore } from '../../packs/store.js';
import { withKey, withoutKey, withRequireSignature, type TrustSettings } from '../../packs/trust.js';
import { UsageError, type CommandSpec } from '../command.js';

const SUBCOMMANDS = 'list, add, remove or require';

export const trustCommand: CommandSpec = {
  name: 'trust',
  summary: 'trusted signing keys, and whether unsigned packs are refused',
  synopsis: 'list | add NAME KEY | remove NAME|FINGERPRINT | require on|off',
  options: {},
  maxPositionals: 3,
  async run(ctx, _values, positionals) {
    const [sub, a, b] = positionals;
    const store = new PackStore(ctx.home);
    const args = (n: number, what: string) => {
      if ([a, b].filter((x) => x !== undefined).length !== n) throw new UsageError(`'trust ${sub}' takes ${what}`);
    };
    let settings: TrustSettings;
    switch (sub) {
      case 'list': args(0, 'no argument'); settings = store.trustSettings(); break;
      case 'add': args(2, 'a name and a base64 public key'); settings = store.changeTrust((f) => withKey(f, a!, b!)); break;
      case 'remove': args(1, "a key's name or fingerprint"); settings = store.changeTrust((f) => withoutKey(f, a!)); break;
      case 'require': {
        args(1, "'on' or 'off'");
        if (a !== 'on' && a !== 'off') throw new UsageError(`'trust require' takes 'on' or 'off', got '${a}'`);
        settings = store.changeTrust((f) => withRequireSignature(f, a === 'on'));
        break;
      }
      case undefined: throw new UsageError(`missing subcommand (${SUBCOMMANDS})`);
      default: throw new UsageError(`unknown subcommand '${sub}' (${SUBCOMMANDS})`);
    }
    return { value: settings, human: describe(settings) };
  },
};

function describe(s: TrustSettings): string {
  const policy = !s.listed ? 'no trusted-keys list: any valid signature is accepted' : s.keys.length ? 'only these keys\' signatures are accepted' : 'no key is trusted: signed packs are refused';
  return [
    `${policy}; unsigned packs are ${s.requireSignature ? 'refused' : 'accepted'}`,
    ...s.keys.map((k) => `  ${k.fingerprint}  ${k.name}  ${k.publicKey}`),
  ].join('\n');
}
