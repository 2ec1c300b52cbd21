// The value shapes the phantom-zero guard must count as zero-like (issue #21), and look-alikes that
// carry information. Shared by the rule's tests and the guard's end-to-end tests.

/** Every zero shape issue #21 lists, and look-alikes that carry information. */
export const ZERO_SHAPES: ReadonlyArray<unknown> = [
  { name: "Customer 7", orders: 0, spend: 0 },
  { name: "Customer 7", orders: null, spend: null },
  { name: "N/A", orders: "0", spend: "0" },
  { stats: { orders: 0, spend: 0 } },
  { active: false, orders: 0 },
  { customerId: "c-1001", email: "a@example.com", orders: 0 },
  { display_name: "Ann", spend: "0.00" },
  "0",
  "0.00",
  "N/A",
  "null",
  "None",
  "-",
  "\u200b",
  false,
  [0, 0, 0],
  [{}],
  null,
  0,
  "",
  [],
  {},
];
export const INFORMATIVE_SHAPES: ReadonlyArray<unknown> = [
  { name: "Customer 7", orders: 3, spend: 0 },
  { name: "Customer 7", active: true, orders: 0 },
  { summary: "Long-time customer", plan: "Pro" },
  { plan: "Pro", orders: 0 },
  { name: "Customer 7", summary: "Prefers email.", orders: 0 },
  { name: "Customer 7", tags: [] },
  { name: "", tags: ["vip"], score: 0 },
  "Customer 7",
  "0.5",
  ["vip"],
  [0, 0, 1],
  { stats: { orders: 0, spend: 0.01 } },
  true,
  -3,
];
