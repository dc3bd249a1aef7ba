// Redraw docs/images/bpmn/NAME.png: each example exported to BPMN, as bpmn-js (the library behind
// bpmn.io and Camunda Modeler) draws it in a headless Chromium.
//
//     node docs/bpmn_screenshots.mjs                  # the examples docs/bpmn.md shows
//     node docs/bpmn_screenshots.mjs damaged_fires    # the examples named
//
// Needs node 18 or later, npm, Chromium (Debian: apt-get install -y chromium; another one with
// CHROMIUM=/path/to/chrome) and the `blueprint` command of this project (BLUEPRINT="python -m
// blueprint" to run it another way). bpmn-js and playwright-core are installed from npm into
// ~/.cache/blueprint-docs the first time. bpmn-js must import every file without a warning: the
// script stops with the warnings otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'images', 'bpmn');
const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'blueprint-docs');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BLUEPRINT = (process.env.BLUEPRINT || 'blueprint').split(' ');
const SHOWN = ['outside_in', 'damaged_fires', 'chief_executive_after'];

function dependencies() {
  if (!existsSync(join(CACHE, 'node_modules', 'bpmn-js')) || !existsSync(join(CACHE, 'node_modules', 'playwright-core'))) {
    mkdirSync(CACHE, { recursive: true });
    console.error(`installing bpmn-js and playwright-core into ${CACHE}`);
    execFileSync('npm', ['install', '--prefix', CACHE, '--no-audit', '--no-fund', 'bpmn-js@18', 'playwright-core@1'],
                 { stdio: 'inherit' });
  }
  const require = createRequire(join(CACHE, 'package.json'));
  return { chromium: require('playwright-core').chromium,
           viewer: readFileSync(join(CACHE, 'node_modules', 'bpmn-js', 'dist', 'bpmn-viewer.production.min.js'), 'utf8') };
}

async function draw(page, viewer, xml) {
  await page.setContent('<!doctype html><html><body style="margin:0;background:white">' +
                        '<div id="canvas" style="width:100vw;height:100vh"></div></body></html>');
  await page.addScriptTag({ content: viewer });
  return page.evaluate(async (text) => {
    const bpmn = new window.BpmnJS({ container: '#canvas' });
    const { warnings } = await bpmn.importXML(text);
    const canvas = bpmn.get('canvas');
    canvas.zoom('fit-viewport');
    const inner = canvas.viewbox().inner;
    return { warnings: warnings.map(w => w.message), width: inner.width, height: inner.height };
  }, xml);
}

async function main() {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : SHOWN;
  const { chromium, viewer } = dependencies();
  const browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const scratch = mkdtempSync(join(tmpdir(), 'bpmn-shots-'));
  mkdirSync(OUT, { recursive: true });
  try {
    for (const name of names) {
      const bpmn = join(scratch, `${name}.bpmn`);
      execFileSync(BLUEPRINT[0], [...BLUEPRINT.slice(1), 'convert', join(ROOT, 'examples', `${name}.yaml`), '-o', bpmn],
                   { stdio: 'inherit' });
      const xml = readFileSync(bpmn, 'utf8');
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
      const first = await draw(page, viewer, xml);  // the diagram's size, then drawn at 1:1 up to 2400 px wide
      const scale = Math.min(1, 2400 / (first.width + 40));
      await page.setViewportSize({ width: Math.ceil((first.width + 40) * scale),
                                   height: Math.ceil((first.height + 40) * scale) });
      const { warnings } = await draw(page, viewer, xml);
      if (warnings.length) {
        throw new Error(`bpmn-js warns about ${name}:\n  ${warnings.join('\n  ')}`);
      }
      const png = join(OUT, `${name}.png`);
      writeFileSync(png, await page.screenshot({ fullPage: false }));
      console.error(`docs/images/bpmn/${name}.png  ${Math.round(first.width)}x${Math.round(first.height)} (scale ${scale.toFixed(2)})`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

main().catch((error) => { console.error(error.message || error); process.exit(1); });
