// The catalogue: every product links to its page, where the visit is recorded as a session event.
import Link from "next/link";
import { PRODUCTS } from "@/lib/catalog";

export default function Home() {
  return (
    <section>
      <h1>Trail shoes</h1>
      <ul className="grid">
        {PRODUCTS.map((product) => (
          <li key={product.id} className="card">
            <Link href={`/products/${product.id}`} data-testid={`product-link-${product.id}`}>
              <strong>{product.name}</strong>
            </Link>
            <p>{product.blurb}</p>
            <span className="price">€{product.price}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
