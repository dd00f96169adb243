import { writeFileSync } from "node:fs";
import { Canvas } from "../src/render/canvas.js";
import type { Report } from "./report.js";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

/**
 * A horizontal bar chart of median wall times, one bar per tool and workload, coloured by
 * tool, written as PNG to `file` (drawn with the engine's own `dae plot` canvas).
 */
export function writeChart(rep: Report, file: string): void {
  const rows = rep.rows;
  const tools = [...new Set(rows.map((r) => r.tool))];
  const labelW = 190;
  const barMax = 560;
  const rowH = 24;
  const top = 64;
  const width = labelW + barMax + 110;
  const height = top + rows.length * rowH + 24;
  const c = new Canvas(width, height);
  c.text(
    `Wall time, median of ${rep.runs} run(s): size ${rep.size} (${rep.shape.join(" × ")} float32), ${rep.machine.cores} cores`,
    12,
    22,
    { size: 14 },
  );
  let x = 12;
  for (const [i, t] of tools.entries()) {
    c.fillRect(x, 36, 12, 12, PALETTE[i % PALETTE.length]);
    c.text(t, x + 18, 47);
    x += 30 + c.textWidth(t);
  }
  const max = Math.max(1e-9, ...rows.map((r) => r.median?.wall ?? 0));
  rows.forEach((r, k) => {
    const y = top + k * rowH;
    if (k > 0 && rows[k - 1].workload !== r.workload)
      c.fillRect(12, y - 3, width - 24, 1, "#cccccc");
    c.text(`${r.workload}  ${r.tool}`, 12, y + 14);
    if (!r.median) {
      c.text(r.status, labelW, y + 14, { color: "#888888" });
      return;
    }
    const w = Math.max(1, Math.round((r.median.wall / max) * barMax));
    c.fillRect(labelW, y, w, rowH - 6, PALETTE[tools.indexOf(r.tool) % PALETTE.length]);
    c.text(`${r.median.wall.toFixed(2)} s`, labelW + w + 6, y + 14);
  });
  writeFileSync(file, c.toPng());
}
