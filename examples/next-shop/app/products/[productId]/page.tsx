// A product page. The server renders the product; the client part records the visit and the clicks.
import Link from "next/link";
import { notFound } from "next/navigation";
import { findProduct } from "@/lib/catalog";
import { ProductActions } from "../../components/product-actions";

export default async function ProductPage({ params }: { params: Promise<{ productId: string }> }) {
  const { productId } = await params;
  const product = findProduct(productId);
  if (!product) notFound();
  return (
    <article className="product">
      <p>
        <Link href="/">← All shoes</Link>
      </p>
      <h1 data-testid="product-name">{product.name}</h1>
      <p>{product.blurb}</p>
      <p className="price">€{product.price}</p>
      <ProductActions product={product} />
    </article>
  );
}
