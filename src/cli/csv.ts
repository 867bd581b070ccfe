/** A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF. Yields [lineNumber, fields]. */
export function* parseCsv(text: string): Generator<[number, string[]]> {
  let line = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (;;) {
      if (i >= n) {
        if (quoted) throw new CsvError(start, 'unterminated quoted field');
        fields.push(field);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && field === '') {
        quoted = true;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        i++;
      } else if (c === '\n' || c === '\r') {
        fields.push(field);
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      } else {
        field += c;
        i++;
      }
    }
    if (!(fields.length === 1 && fields[0] === '')) yield [start, fields];
  }
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}
