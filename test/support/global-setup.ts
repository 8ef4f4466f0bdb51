// Runs once in jest's parent process, before the workers start (they inherit its environment).
// An RSA key takes about 0.2 s of CPU to make and the suite starts about a hundred emulators, so they
// all sign with this one; each emulator still has its own key id and refuses another's tokens.
import { generateKeyPairSync } from 'node:crypto';

export default function globalSetup(): void {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  process.env['JEST_EMULATOR_SIGNING_KEY'] = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
