/**
 * The Ruby original's one line, in the server's local time. Ruby's Time#to_s also appends " +hhmm"; honour it
 * when present.
 */
const LEGACY_LINE = /^latest_event_time=(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?: ?([+-])(\d{2}):?(\d{2}))?$/;

export function parseLegacy(text: string): number | undefined {
  const match = LEGACY_LINE.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Reject impossible dates (2017-02-30) instead of letting Date roll them over.
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const [sign, offsetHours, offsetMinutes] = [match[7], match[8], match[9]];
  if (sign !== undefined) {
    const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    return check.getTime() - (sign === '+' ? offsetMs : -offsetMs);
  }
  // The server's local time zone, as the Ruby original wrote it.
  return new Date(year, month - 1, day, hour, minute, second).getTime();
}
