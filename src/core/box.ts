/** A box `[start, stop)` in an n-dimensional index space. */
export interface Box {
  start: number[];
  stop: number[];
}

export function boxShape(box: Box): number[] {
  return box.stop.map((s, d) => s - box.start[d]);
}

export function boxSize(box: Box): number {
  let n = 1;
  for (let d = 0; d < box.start.length; d++) n *= box.stop[d] - box.start[d];
  return n;
}

export function fullBox(shape: readonly number[]): Box {
  return { start: shape.map(() => 0), stop: [...shape] };
}

export function boxKey(box: Box): string {
  return `${box.start}:${box.stop}`;
}

/** Whether `box` overlaps one of `boxes` (shares an element with it). */
export function overlapsAny(box: Box, boxes: readonly Box[]): boolean {
  return boxes.some((b) => box.start.every((s, d) => s < b.stop[d] && box.stop[d] > b.start[d]));
}
