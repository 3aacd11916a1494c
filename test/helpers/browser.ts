/**
 * Debian's Chromium for the page tests, driven by playwright-core (no browser download): headless,
 * a throwaway profile, and every dialog a page opens recorded (and dismissed) in `dialogs`, so a
 * test can check that none opened.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(dialogs: string[]): Promise<Chromium> {
  const profile = mkdtempSync(path.join(tmpdir(), "dialogue-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  context.on("page", (p) => p.on("dialog", (d) => void (dialogs.push(d.message()), d.dismiss())));
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
