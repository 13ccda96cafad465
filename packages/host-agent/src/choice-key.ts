// One string per choice, so "same registry at the same address" is a string comparison.
import type { RegistryChoice } from './registry-choice.js';

export function choiceKey(choice: RegistryChoice | null): string {
  return choice === null ? 'none' : `${choice.record.id}|${choice.record.url}`;
}
