// Type-checked by `tsc` (not run): `STATUSES` lists every `Status`.
import type { STATUSES, Status } from "./envelope.js";

type Listed = (typeof STATUSES)[number];
// Fails to compile when a status is added to `Status` but not to `STATUSES`.
export const everyStatusListed: [Exclude<Status, Listed>] extends [never] ? true : false = true;
