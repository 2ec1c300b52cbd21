// The two requests the quickstart demonstrates (and its test asserts): a returning customer whose
// loyalty lookup times out, and a genuinely new customer.
export const SCENARIOS = [
  {
    title: "(a) Returning customer Ana asks about trail shoes",
    request: {
      keys: {
        user: { userId: "ana" },
        session: { sessionId: "s-ana-1" },
        product: { productId: "trail-runner-x" },
      },
      query: "Do you have the Trail Runner X in my size, and can I return it if it is too narrow?",
      budget: { maxTokens: 600 },
    },
  },
  {
    title: "(b) A new customer on their first visit",
    request: {
      keys: {
        user: { userId: "new-visitor" },
        session: { sessionId: "s-new-1" },
        product: { productId: "summit-gtx" },
      },
      query: "How do I pick the right size for waterproof trail shoes?",
      budget: { maxTokens: 600 },
    },
  },
];
