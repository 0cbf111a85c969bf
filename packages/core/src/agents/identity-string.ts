/**
 * Identity strings (handles, owners) in one form: NFKC, lower case. Refused: invisible and
 * bidirectional-control characters, and labels that mix scripts (UTS #39's "highly
 * restrictive" level: one script per label, or Latin with the Han-based CJK combinations).
 * So `Owner@acme.dev`, `ｏwner@acme.dev` (fullwidth) and `owner@acme.dev` are one owner, and
 * `оwner@acme.dev` (Cyrillic о among Latin letters) or `ow\u200bner@acme.dev` is refused.
 */

/** Default-ignorable (zero-width, soft hyphen, variation selectors), bidi controls, other format and control characters. */
const invisible = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u

/** Scripts told apart; a letter of none of them counts as "Other". Common and Inherited never count. */
const scripts = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Cherokee', 'Ethiopic'] as const
const scriptPatterns = scripts.map((name) => [name, new RegExp(`\\p{Script=${name}}`, 'u')] as const)
const neutral = /[\p{Script=Common}\p{Script=Inherited}]/u
/** UTS #39 5.2 highly restrictive: these sets may share a label. */
const allowedMixes = [new Set(['Latin', 'Han', 'Hiragana', 'Katakana']), new Set(['Latin', 'Han', 'Bopomofo']), new Set(['Latin', 'Han', 'Hangul'])]

function scriptsOf(label: string): Set<string> {
  const found = new Set<string>()
  for (const char of label) {
    if (neutral.test(char)) continue
    found.add(scriptPatterns.find(([, pattern]) => pattern.test(char))?.[0] ?? 'Other')
  }
  return found
}

/**
 * The one form of an identity string, or the reason it is refused. Labels are split at `@`
 * and `.`; each must be written in one script (or an allowed CJK mix).
 */
export function normaliseIdentity(value: string): { value: string } | { reason: string } {
  if (invisible.test(value)) return { reason: 'must not contain invisible or bidirectional-control characters' }
  const normal = value.normalize('NFKC').toLowerCase()
  if (invisible.test(normal)) return { reason: 'must not contain invisible or bidirectional-control characters' }
  for (const label of normal.split(/[@.]/)) {
    const found = scriptsOf(label)
    if (found.size > 1 && !allowedMixes.some((mix) => [...found].every((s) => mix.has(s)))) {
      return { reason: `mixes scripts (${[...found].sort().join(', ')}) in "${label}": a confusable` }
    }
  }
  return { value: normal }
}
