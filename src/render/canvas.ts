import * as PImage from "pureimage";
import { PNG } from "pngjs";
import { FONT_FAMILY, loadFont } from "./font.js";

/** Where a text's anchor point is. */
export interface TextStyle {
  size?: number;
  color?: string;
  align?: "left" | "center" | "right";
  baseline?: "top" | "middle" | "bottom" | "alphabetic";
  /** Draw upward (rotated 90° counter-clockwise), as a y axis label. */
  vertical?: boolean;
}

/** How many times larger text is drawn before it is averaged down (see `Canvas.text`). */
const TEXT_SUPERSAMPLE = 4;

/** `#rrggbb` as [r, g, b]. */
export function parseColor(color: string): [number, number, number] {
  const hex = color.replace(/^#/, "");
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/**
 * An RGB picture to draw a chart on: rectangles and pixels are written straight into the
 * bitmap (fast), lines and text go through pureimage (a pure-JS canvas: anti-aliased paths,
 * TrueType text), and it encodes to PNG with pngjs. Without a font file, text is skipped.
 */
export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGBA, row by row from the top. */
  readonly data: Uint8Array;
  /** Whether text can be drawn (a font was found). */
  readonly hasText: boolean;
  private readonly image: PImage.Bitmap;
  private readonly ctx: PImage.Context;

  constructor(width: number, height: number, background = "#ffffff") {
    this.width = Math.round(width);
    this.height = Math.round(height);
    this.image = PImage.make(this.width, this.height);
    this.ctx = this.image.getContext("2d");
    this.data = this.image.data;
    this.hasText = loadFont();
    this.fillRect(0, 0, this.width, this.height, background);
  }

  /** Fills a rectangle (clipped to the picture) with an opaque colour. */
  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    const [r, g, b] = parseColor(color);
    const x0 = Math.max(0, Math.round(x));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y0 = Math.max(0, Math.round(y));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let row = y0; row < y1; row++)
      for (let col = x0; col < x1; col++) this.setPixel(col, row, r, g, b);
  }

  setPixel(x: number, y: number, r: number, g: number, b: number): void {
    const o = (y * this.width + x) * 4;
    this.data[o] = r;
    this.data[o + 1] = g;
    this.data[o + 2] = b;
    this.data[o + 3] = 255;
  }

  /** The outline of a rectangle, one pixel wide, on pixel edges. */
  strokeRect(x: number, y: number, w: number, h: number, color: string): void {
    this.fillRect(x, y, w, 1, color);
    this.fillRect(x, y + h - 1, w, 1, color);
    this.fillRect(x, y, 1, h, color);
    this.fillRect(x + w - 1, y, 1, h, color);
  }

  /** An anti-aliased polyline; `NaN` coordinates break it into pieces. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, lineWidth = 1.5): void {
    this.ctx.strokeStyle = color;
    this.ctx.lineWidth = lineWidth;
    let piece: [number, number][] = [];
    const flush = () => {
      if (piece.length >= 2) {
        this.ctx.beginPath();
        this.ctx.moveTo(piece[0][0], piece[0][1]);
        for (let i = 1; i < piece.length; i++) this.ctx.lineTo(piece[i][0], piece[i][1]);
        this.ctx.stroke();
      } else if (piece.length === 1) this.fillRect(piece[0][0] - 1, piece[0][1] - 1, 2, 2, color);
      piece = [];
    };
    for (let i = 0; i < xs.length; i++) {
      if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
        const last = piece[piece.length - 1];
        // pureimage cannot stroke a zero-length segment
        if (!last || last[0] !== xs[i] || last[1] !== ys[i]) piece.push([xs[i], ys[i]]);
      } else flush();
    }
    flush();
  }

  /**
   * Draws text (nothing without a font). pureimage rasterises glyphs of 11–12 px poorly (a full
   * stop came out as a comma), so text is drawn at `TEXT_SUPERSAMPLE` times the size on a
   * scratch bitmap and its coverage averaged down onto the picture, aligned to its pixel grid.
   */
  text(s: string, x: number, y: number, style: TextStyle = {}): void {
    if (!this.hasText || s === "") return;
    const k = TEXT_SUPERSAMPLE;
    const size = style.size ?? 12;
    const align = style.align ?? "left";
    const width = this.textWidth(s, size);
    const pad = Math.ceil(size);
    // where the anchor sits on the scratch bitmap (in picture pixels): its fractional part is
    // the one that puts the scratch pixels on the picture's pixels once placed (rotated or not)
    const frac = (v: number) => v - Math.floor(v);
    const [fx, fy] = style.vertical ? [1 - frac(y), frac(x)] : [frac(x), frac(y)];
    const ax =
      pad + (align === "left" ? 0 : Math.ceil(align === "center" ? width / 2 : width)) + fx;
    const ay = 2 * pad + fy;
    const w = Math.ceil(width) + 2 * pad + 1;
    const h = 4 * pad;
    const scratch = PImage.make(w * k, h * k);
    const ctx = scratch.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w * k, h * k);
    ctx.font = `${size * k}px '${FONT_FAMILY}'`;
    ctx.fillStyle = "#000000";
    ctx.textAlign = align;
    ctx.textBaseline = style.baseline ?? "alphabetic";
    ctx.fillText(s, ax * k, ay * k);
    const [r, g, b] = parseColor(style.color ?? "#222222");
    const ink = scratch.data;
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        let dark = 0;
        for (let v = 0; v < k; v++)
          for (let u = 0; u < k; u++) dark += 255 - ink[((j * k + v) * w * k + i * k + u) * 4];
        if (dark === 0) continue;
        // a text pixel (i, j) lands at the anchor plus its offset, rotated for vertical text
        const [px, py] = style.vertical
          ? [Math.round(x - ay) + j, Math.round(y + ax) - i - 1]
          : [Math.round(x - ax) + i, Math.round(y - ay) + j];
        if (px < 0 || py < 0 || px >= this.width || py >= this.height) continue;
        const a = dark / (255 * k * k);
        const o = (py * this.width + px) * 4;
        this.data[o] = Math.round(this.data[o] * (1 - a) + r * a);
        this.data[o + 1] = Math.round(this.data[o + 1] * (1 - a) + g * a);
        this.data[o + 2] = Math.round(this.data[o + 2] * (1 - a) + b * a);
      }
  }

  /** Width of `s` in pixels at `size` (an estimate without a font). */
  textWidth(s: string, size = 12): number {
    if (!this.hasText) return s.length * size * 0.6;
    this.ctx.font = `${size}px '${FONT_FAMILY}'`;
    return this.ctx.measureText(s).width;
  }

  /** The picture as a PNG file's bytes. */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, { colorType: 2 });
  }
}
