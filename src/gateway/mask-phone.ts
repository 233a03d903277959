/** `+85291234567` → `+852*****67`: enough to tell numbers apart in logs, not to dial them. */
export function maskPhone(to: string): string {
  if (to.length <= 6) return '*'.repeat(to.length);
  return to.slice(0, 4) + '*'.repeat(to.length - 6) + to.slice(-2);
}
