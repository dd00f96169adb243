import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as PImage from "pureimage";

/** The family name text is drawn in. */
export const FONT_FAMILY = "DejaVu Sans";

/**
 * Where a DejaVu Sans TTF is: the `dejavu-fonts-ttf` npm package (a dependency), else
 * Debian's fonts-dejavu-core. pureimage draws text only from a TrueType file, and
 * @fontsource packages ship only woff2, hence this package.
 */
function fontPath(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"));
  } catch {
    // package absent: try the system font
  }
  candidates.push("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
  return candidates.find((p) => existsSync(p));
}

let loaded: boolean | undefined;

/**
 * Loads the font once; false when no font file is found, and pictures are then drawn
 * without text (axes, colours and lines stay).
 */
export function loadFont(): boolean {
  if (loaded === undefined) {
    const path = fontPath();
    loaded = false;
    if (path) {
      try {
        PImage.registerFont(path, FONT_FAMILY).loadSync();
        loaded = true;
      } catch {
        loaded = false;
      }
    }
  }
  return loaded;
}
