/** One option of an options interface, read from the code. */
export interface CodeOption {
  name: string;
  /** The TSDoc `@defaultValue` text, if any. */
  defaultValue: string | undefined;
}
/** Compares an options interface with the README table under the heading that names it; `[]` when they agree. */
export declare function optionsTableProblems(args: { file: string; name: string; readme: string; heading?: string }): string[];
/** The options of interface `name` declared in `file`, inherited members of our own interfaces included. */
export declare function interfaceOptions(file: string, name: string): CodeOption[];
/** Option name → default cell of the first table after the heading containing `heading`. */
export declare function readmeTable(markdown: string, heading: string): Map<string, string> | undefined;
/** The number, boolean or quoted string a default text starts with (`16 MiB` → 16777216). */
export declare function literalOf(text: string): number | boolean | string | undefined;
