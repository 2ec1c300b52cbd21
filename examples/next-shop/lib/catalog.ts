// The storefront's catalogue: what the product pages show. Live stock is not here: it comes from the
// realtime inventory source (the shop's WAREHOUSE), looked up per request like a real stock service.
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly price: number;
  readonly blurb: string;
  readonly sizes: readonly string[];
}

export const PRODUCTS: readonly Product[] = [
  {
    id: "trail-runner-x",
    name: "Trail Runner X",
    price: 149,
    blurb:
      "An aggressive trail shoe with 5 mm lugs, a rock plate and a 6 mm drop for technical mountain trails.",
    sizes: ["42", "42.5", "43"],
  },
  {
    id: "summit-gtx",
    name: "Summit GTX",
    price: 179,
    blurb: "A waterproof Gore-Tex trail shoe for wet and muddy winter trails, with a wide toe box.",
    sizes: ["42", "43"],
  },
  {
    id: "road-glide-3",
    name: "Road Glide 3",
    price: 129,
    blurb: "A cushioned daily trainer for road miles and easy gravel.",
    sizes: ["41", "42"],
  },
];

export function findProduct(id: string): Product | undefined {
  return PRODUCTS.find((product) => product.id === id);
}
