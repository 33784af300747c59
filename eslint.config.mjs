// ESLint flat config for the whole workspace. TypeScript is linted with
// typescript-eslint's type-checked rules (types come from each project's
// tsconfig through the project service); plain JavaScript (bins, tools, jest
// configs) gets the same rules minus those that need type information.
// Nx infers a `lint` target for every project from this file (@nx/eslint/plugin
// in nx.json); CI runs it with --max-warnings 0.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/out-tsc/**',
      '**/coverage/**',
      '**/docs-api/**',
      '**/.nx/**',
      '**/tmp/**',
      '**/.cache/**',
      'verify-report/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: {
        // The testkit's declaration file belongs to no tsconfig: lint it with defaults.
        projectService: { allowDefaultProject: ['tools/testkit/*.d.cts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Passing on a caught `unknown` (`catch (err) { return Promise.reject(err) }`)
      // is a rethrow, as safe as `throw err`; new rejections must still be Errors.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A named options interface that extends one other gives the API a stable
      // name to grow (e.g. ClientSessionOptions); empty interfaces otherwise stay errors.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // `_`-prefixed names mark a parameter or binding kept on purpose (a
      // signature to satisfy, a value destructured away).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS files: jest configs and the testkit's certificate helper.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests: jest's globals (describe, it, expect), known to the JavaScript rules (no-undef).
    files: ['**/*.test.ts', '**/*.test.cjs', '**/test-support/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
);
