// ESLint with typescript-eslint's type-checked recommended set (STYLE.md): floating and misused
// promises are bugs in a daemon, and `any` leaking out of a parse hides the mistakes types catch.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'examples/**',
      'bench/results/**',
      '.tmp/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `(...args: any[])` is how a generic function type says "any arguments"; elsewhere no `any`.
      '@typescript-eslint/no-explicit-any': ['error', { ignoreRestArgs: true }],
      // `_name` says "unused on purpose" (a required parameter, a destructured-away field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read JSON answers and platform payloads loosely (`res.json()` is `any`); the
    // assertions are what checks them, so the no-unsafe-* family would only ask for casts that
    // prove nothing. Every other rule, the promise rules first, stays on in tests.
    files: [
      'test/**/*.ts',
      'src/**/*.test.ts',
      'src/**/*.test-helper.ts',
      'src/**/test-fixtures.ts',
      'src/**/recording-context.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
)
