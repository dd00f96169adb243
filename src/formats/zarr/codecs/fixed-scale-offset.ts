import { arrayClass, isBigInt } from "../../../array/dtype.js";
import { parseV2DType } from "../dtypes.js";
import type { Json } from "../json.js";
import type { ArrayToArrayCodec, CodecContext } from "./codec.js";

/**
 * numcodecs' FixedScaleOffset filter: stores round((x - offset) * scale) as `astype`, reads
 * enc / scale + offset. Written here because zarrita maps it to codecs that cannot encode.
 */
export function fixedScaleOffsetCodec(config: Json, ctx: CodecContext): ArrayToArrayCodec {
  const scale = Number(config.scale ?? 1);
  const offset = Number(config.offset ?? 0);
  const astype = parseV2DType(config.astype ?? config.dtype);
  if (
    !astype ||
    astype === "unsupported" ||
    astype.dtype === "float16" ||
    isBigInt(astype.dtype) ||
    astype.dtype === "bool"
  )
    throw new Error(`fixedscaleoffset: astype ${JSON.stringify(config.astype)} is not supported`);
  const encodedDType = astype.dtype;
  const Decoded = arrayClass(ctx.dtype);
  const Encoded = arrayClass(encodedDType);
  const isIntegral = !encodedDType.startsWith("float");
  return {
    kind: "array_to_array",
    encodedDType,
    encode({ data, shape, stride }) {
      const src = data as Float64Array;
      const out = new Encoded(src.length) as Float64Array;
      for (let i = 0; i < src.length; i++) {
        const v = (src[i] - offset) * scale;
        out[i] = isIntegral ? roundHalfEven(v) : v;
      }
      return { data: out, shape, stride };
    },
    decode({ data, shape, stride }) {
      const src = data as Float64Array;
      const out = new Decoded(src.length) as Float64Array;
      for (let i = 0; i < src.length; i++) out[i] = src[i] / scale + offset;
      return { data: out, shape, stride };
    },
  };
}

/** numpy's `around`: halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
