// What a freshness monitor asks of an online store: pages of stored records with their event times,
// walked with a cursor so each call costs a bounded amount whatever the size of the store. Optional:
// a store without `sampleRecords` is reported as "cannot be sampled", never as fresh.

/** One stored record as a freshness sample sees it: where it is, which source field, and its event time. */
export interface SampledRecord {
  /** The record's identity in the store (e.g. its Redis key): a record seen again replaces itself. */
  readonly entity: string;
  /** `<source>@<version>`, as the store keeps it. */
  readonly field: string;
  readonly kind: "value" | "window";
  /** Event time of the value, or of a window's newest event; undefined when it cannot be decoded. */
  readonly eventTime: number | undefined;
}

/** One page of `sampleRecords`: the records, the cursor of the next page, and what it cost. */
export interface SamplePage {
  readonly records: readonly SampledRecord[];
  /** Where the next page starts; undefined once a pass over the whole store has finished. */
  readonly cursor: string | undefined;
  /** Store commands this page cost (for the monitor's own cost figures). */
  readonly commands: number;
}

/**
 * The optional part of an online store the freshness monitor samples through (memory and Redis stores
 * have it); a store without it is reported as "cannot be sampled", never as fresh.
 */
export interface RecordSampling {
  /**
   * The next page of about `limit` entities' records, from `cursor` (undefined: start a pass).
   * Must never read the whole store in one call.
   */
  sampleRecords(request: {
    readonly cursor: string | undefined;
    readonly limit: number;
  }): Promise<SamplePage>;
}
