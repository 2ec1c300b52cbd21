// ~50 short help-center articles for the vector tier of the demo shop.

export interface Article {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly text: string;
}

const POLICIES: ReadonlyArray<readonly [string, string]> = [
  [
    "Returns within 60 days",
    "You can return unworn shoes within 60 days of delivery for a full refund. Start a return from your order page and print the prepaid label. Refunds reach your card 3 to 5 business days after the parcel arrives at our warehouse.",
  ],
  [
    "Returning worn trail shoes",
    "Trail shoes that were worn outdoors can be returned within 30 days if they are clean. We inspect the outsole for wear. Shoes with heavy wear qualify for store credit instead of a refund.",
  ],
  [
    "Exchanging for another size",
    "Size exchanges are free. Choose Exchange on the order page, pick the new size, and we ship it as soon as the original is scanned by the carrier. If the new size is out of stock we refund you instead.",
  ],
  [
    "Shipping times",
    "Standard shipping takes 3 to 5 business days. Express shipping takes 1 to 2 business days and is free for Gold loyalty members. Orders placed before 2 pm ship the same day.",
  ],
  [
    "International shipping",
    "We ship to 38 countries. Duties are calculated at checkout so there are no surprises on delivery. International returns are free from the EU, the UK and Canada.",
  ],
  [
    "Tracking an order",
    "A tracking link is emailed when your parcel leaves the warehouse. Tracking can take up to 12 hours to show the first scan. Contact support if it has not moved for 3 days.",
  ],
  [
    "Loyalty program tiers",
    "The loyalty program has three tiers: Member, Silver and Gold. Silver starts at 500 dollars spent in a year and Gold at 1,500 dollars. Gold members get free express shipping and early access to sales.",
  ],
  [
    "Loyalty points",
    "You earn one point per dollar spent. 100 points are worth 5 dollars off a future order. Points expire after 18 months without a purchase.",
  ],
  [
    "Price match",
    "We match the price of authorised retailers within 14 days of purchase. Send us a link to the lower price and we refund the difference. Marketplace sellers and clearance prices are excluded.",
  ],
  [
    "Warranty on soles",
    "Every shoe has a one-year warranty against manufacturing defects such as sole separation. Normal wear of the tread is not a defect. Send photos to support to start a warranty claim.",
  ],
  [
    "Gift cards",
    "Gift cards never expire and can be used online and in stores. A gift card can pay for part of an order together with a credit card. Lost gift cards can be replaced with the purchase receipt.",
  ],
  [
    "Payment methods",
    "We accept credit cards, debit cards, PayPal and Apple Pay. Buy now pay later is available on orders over 100 dollars. Your card is charged when the order ships.",
  ],
  [
    "Order changes and cancellations",
    "You can change or cancel an order within one hour of placing it. After that the order is already being packed. You can still return it once it arrives.",
  ],
  [
    "Student discount",
    "Students get 10 percent off full-price items after verifying their student status. The discount cannot be combined with sale prices. Verification takes about two minutes.",
  ],
  [
    "Store pickup",
    "Order online and pick up in a store within 2 hours in most cities. Bring the order confirmation and an ID. Unclaimed pickups are cancelled and refunded after 7 days.",
  ],
];

const SIZING: ReadonlyArray<readonly [string, string]> = [
  [
    "How to find your running shoe size",
    "Measure your foot in the evening when it is largest. Leave about a thumb's width between your longest toe and the end of the shoe. If you are between sizes, choose the larger size for running.",
  ],
  [
    "Sizing for trail running shoes",
    "Trail shoes fit snugly in the heel and midfoot to keep your foot stable on rough ground. Go half a size up if you run long downhill sections. Wide toe boxes help on long trail runs.",
  ],
  [
    "Wide feet",
    "Many of our road and trail models come in wide (2E) and extra wide (4E). Filter by width on any category page. Wide versions use the same sole as the regular version.",
  ],
  [
    "European and US sizes",
    "European size 42 is about US men's 8.5 and US women's 10. Size charts differ by brand, so check the chart on each product page. Our fit finder recommends a size from a shoe you already own.",
  ],
  [
    "Half sizes and insoles",
    "Thin insoles take up about half a size. If you use custom orthotics, remove the stock insole and try the shoe with yours. Most of our running shoes have removable insoles.",
  ],
];

const CARE: ReadonlyArray<readonly [string, string]> = [
  [
    "Cleaning trail shoes",
    "Knock off dried mud, then rinse the upper with cold water and a soft brush. Never put shoes in the dryer because heat weakens the glue. Stuff them with newspaper to dry overnight.",
  ],
  [
    "Waterproof shoes and Gore-Tex",
    "Waterproof trail shoes keep puddles out but make your feet warmer. Re-apply a water repellent spray every few months. Waterproof shoes dry more slowly when water gets in over the top.",
  ],
  [
    "When to replace running shoes",
    "Most running shoes last 500 to 800 kilometres. Replace them when the midsole feels flat or the tread is worn smooth. Tracking your mileage in an app helps you know when.",
  ],
  [
    "Breaking in new shoes",
    "Modern running shoes need little breaking in. Wear new shoes for a few short runs before a race. Blisters in the first week usually mean the size or lacing is wrong.",
  ],
  [
    "Lacing techniques",
    "A heel lock lacing uses the last eyelet to stop heel slip on downhills. Skip an eyelet over a pressure point on the top of the foot. Loop laces give a quicker fit for triathletes.",
  ],
];

const PRODUCTS: ReadonlyArray<readonly [string, string, string, string]> = [
  [
    "trail-runner-x",
    "Trail Runner X",
    "an aggressive trail shoe with 5 mm lugs, a rock plate and a 6 mm drop for technical mountain trails",
    "It runs narrow in the forefoot: runners with wide feet should order the wide (2E) version rather than a larger size.",
  ],
  [
    "summit-gtx",
    "Summit GTX",
    "a waterproof Gore-Tex trail shoe for wet and muddy winter trails",
    "The Gore-Tex lining makes it feel snug; many customers go half a size up for winter socks.",
  ],
  [
    "road-glide-3",
    "Road Glide 3",
    "a cushioned road running shoe for daily training and long runs on pavement",
    "It fits true to size with a roomy toe box.",
  ],
  [
    "tempo-racer",
    "Tempo Racer",
    "a light racing shoe with a carbon plate for 5k to marathon races",
    "It has a race fit: snug everywhere, and most runners keep their usual size.",
  ],
  [
    "ridge-hiker",
    "Ridge Hiker",
    "a lightweight hiking shoe with a stiff sole for long hikes with a backpack",
    "It fits half a size large; try your usual size first.",
  ],
  [
    "canyon-sandal",
    "Canyon Sandal",
    "a trail sandal for river crossings and hot days",
    "Three straps adjust the fit, so sandals rarely need a size exchange.",
  ],
  [
    "alpine-sock",
    "Alpine Merino Sock",
    "a merino wool running sock that stays warm when wet",
    "Sock sizes S, M and L cover EU 36-39, 40-43 and 44-47.",
  ],
  [
    "storm-jacket",
    "Storm Shell Jacket",
    "a packable waterproof running jacket that weighs 180 grams",
    "It is cut for running: choose your usual size to wear it over one layer.",
  ],
  [
    "trail-vest-12",
    "Trail Vest 12",
    "a 12 litre running vest with two soft flasks for ultra races",
    "Measure around your chest: S/M fits 80-95 cm and L/XL fits 95-110 cm.",
  ],
  [
    "gaiters",
    "Trail Gaiters",
    "ankle gaiters that keep stones and sand out of trail shoes",
    "One size fits most shoes from EU 38 to 47.",
  ],
];

const EXTRA_POLICIES: ReadonlyArray<readonly [string, string]> = [
  [
    "Running shoe recycling",
    "Bring any worn running shoes to a store and we recycle them into playground surfaces. You get 10 dollars off your next pair for each pair you bring.",
  ],
  [
    "Product reviews",
    "Reviews come from verified buyers only. We publish negative reviews as long as they follow the review guidelines.",
  ],
  [
    "Accessibility of our stores and site",
    "All our stores are step-free. The website supports screen readers and keyboard navigation; tell us if anything does not work for you.",
  ],
  [
    "Privacy and your data",
    "We use your order and browsing history to personalise recommendations. You can download or delete your data from the account page at any time.",
  ],
  [
    "Group and club orders",
    "Running clubs get 15 percent off orders of 10 pairs or more. Ask support for a club account.",
  ],
];

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function article(prefix: string, title: string, text: string): Article {
  const id = `${prefix}-${slug(title)}`;
  return { id, title, url: `https://help.example-shop.com/${prefix}/${slug(title)}`, text };
}

export const ARTICLES: readonly Article[] = [
  ...POLICIES.map(([title, text]) => article("policy", title, text)),
  ...SIZING.map(([title, text]) => article("sizing", title, text)),
  ...CARE.map(([title, text]) => article("care", title, text)),
  ...EXTRA_POLICIES.map(([title, text]) => article("policy", title, text)),
  ...PRODUCTS.flatMap(([id, name, description, fit]) => [
    article("product", `${name} overview`, `${name} (product id ${id}) is ${description}.`),
    article("product", `${name} fit and sizing`, `Sizing notes for ${name}. ${fit}`),
  ]),
];
