// Starts Debian's headless Chromium (override the binary with $CHROMIUM) through playwright-core,
// for the browser checks in this directory. The flags keep it off the network: on a closed
// network, background connections fail many at a time and slow every start.

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser, or an Error whose message says what is missing. */
export async function launchChromium() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (run: npm ci --prefix tests/browser): ${e.message}`);
  }
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
  } catch (e) {
    throw new Error(`cannot launch ${executablePath}: ${e.message}`);
  }
}
