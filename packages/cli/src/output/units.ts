// Human units for ages, durations and rates.

export function age(milliseconds: number | undefined): string {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return "-";
  const value = Math.max(0, milliseconds);
  if (value < 1_000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${Math.round(value / 1_000)}s`;
  if (value < 3_600_000) return `${Math.round(value / 60_000)}m`;
  if (value < 172_800_000) return `${Math.round(value / 3_600_000)}h`;
  return `${Math.round(value / 86_400_000)}d`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function percent(share: number | undefined): string {
  return share === undefined || !Number.isFinite(share) ? "-" : `${Math.round(share * 1000) / 10}%`;
}
