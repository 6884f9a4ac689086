// Neighborhood math on the member ring, as in the seed: consecutive runs of `size` members.

/** Number of neighborhoods for n members. */
export const neighborhoodCount = (n: number, size: number): number => Math.ceil(n / size);

/** Neighborhood index of the member at ring position `pos`. */
export const neighborhoodOf = (pos: number, size: number): number => Math.floor(pos / size);

/** Ring positions [start, end) of neighborhood `k`. */
export function neighborhoodRange(k: number, n: number, size: number): [number, number] {
  return [k * size, Math.min((k + 1) * size, n)];
}
