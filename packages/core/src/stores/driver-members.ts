// The store wrappers (`defineOnlineStore`, `defineVectorStore`) return a new object; the members a
// driver adds beyond its interface (a client, a key layout, a size getter) are carried over to it.

/** Copies the driver's own members, except `skip`, onto `store`; getters keep reading the driver. */
export function carryDriverMembers(store: object, driver: object, skip: ReadonlySet<PropertyKey>): void {
  for (const key of Reflect.ownKeys(driver)) {
    if (skip.has(key) || Object.hasOwn(store, key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(driver, key) as PropertyDescriptor;
    const getter = descriptor.get;
    Object.defineProperty(
      store,
      key,
      getter ? { get: () => getter.call(driver), enumerable: descriptor.enumerable ?? true } : descriptor,
    );
  }
}
