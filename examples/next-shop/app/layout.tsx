// The storefront's frame: header, the page, and the assistant (with its trace panel) beside every page.
// The assistant lives in the layout so the conversation survives navigating between products.
import type { Metadata } from "next";
import { cookies } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { DEMO_USERS, USER_COOKIE } from "@/lib/identity";
import { Assistant } from "./components/assistant";
import "./globals.css";

export const metadata: Metadata = {
  title: "Ridgeline Trail Co. — ctxstore demo",
  description: "A storefront whose assistant sees your live session.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const userId = (await cookies()).get(USER_COOKIE)?.value ?? "ana";
  const who = DEMO_USERS[userId as keyof typeof DEMO_USERS] ?? userId;
  return (
    <html lang="en">
      <body>
        <header className="top">
          <Link href="/" className="brand">
            Ridgeline Trail Co.
          </Link>
          <span className="who">
            Signed in as <strong data-testid="who">{who}</strong> (demo) ·{" "}
            <a href={`/api/sign-in?as=${userId === "ana" ? "new-visitor" : "ana"}`}>
              switch to {userId === "ana" ? "a first-time visitor" : "Ana"}
            </a>
          </span>
        </header>
        <div className="columns">
          <main>{children}</main>
          <Assistant />
        </div>
      </body>
    </html>
  );
}
