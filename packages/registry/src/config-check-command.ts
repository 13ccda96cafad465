// `private-registry config check`: loads exactly what `serve` would (file, flavor, REGISTRY_* variables,
// the storage driver's parameters), prints the effective configuration with each value's source and every
// secret redacted, and says whether `serve` would accept it. Exit 0: fine (warnings allowed); 1: invalid
// values or unknown keys; 2: the file cannot be read or is not YAML.
import { ConfigError, configFileOf, effectiveConfigYaml, loadConfig, type LoadedConfig, type LoadConfigOptions } from './config/index.js';
import { parseS3Settings } from './storage/s3/s3-settings.js';

export const CHECK_EXIT = { ok: 0, invalid: 1, unreadable: 2 } as const;

export interface CheckOutput {
  exitCode: number;
  stdout: string;
  /** Warnings and errors, one per line. */
  stderr: string;
}

/** A warning of the S3 driver about a parameter it does not know: a typo, so an unknown key. */
const S3_UNKNOWN = /^storage\.s3\.(\S+) is not a parameter of the S3 storage driver/;

export async function checkConfig(options: LoadConfigOptions): Promise<CheckOutput> {
  const errors: string[] = [];
  const warnings: string[] = [];
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const unreadable = err.code === 'CONFIG_FILE_UNREADABLE' || err.code === 'CONFIG_UNPARSEABLE';
    return { exitCode: unreadable ? CHECK_EXIT.unreadable : CHECK_EXIT.invalid, stdout: '', stderr: `error: ${err.message}\n` };
  }
  for (const warning of loaded.warnings) {
    if (/^unknown configuration key "/.test(warning)) errors.push(warning);
    else warnings.push(warning);
  }
  if (loaded.config.storage.driver === 's3') {
    try {
      parseS3Settings(loaded.config.storage.s3 ?? {}, (message) => {
        const typo = S3_UNKNOWN.exec(message);
        if (typo) errors.push(`unknown configuration key "storage.s3.${typo[1]}"`);
        else warnings.push(message);
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err.message);
    }
  }
  const stderr = [...warnings.map((w) => `warning: ${w}`), ...errors.map((e) => `error: ${e}`)];
  return {
    exitCode: errors.length > 0 ? CHECK_EXIT.invalid : CHECK_EXIT.ok,
    stdout: `${header(loaded, options)}${effectiveConfigYaml(loaded)}`,
    stderr: stderr.length === 0 ? '' : `${stderr.join('\n')}\n`,
  };
}

function header(loaded: LoadedConfig, options: LoadConfigOptions): string {
  const chosen = configFileOf(options);
  const file = chosen === undefined ? 'none (built-in defaults)' : `${chosen.file} (named by ${chosen.namedBy})`;
  const flavor = loaded.flavor === undefined ? '' : `# flavor: ${loaded.flavor}${(options.env ?? process.env).SETTINGS_FLAVOR ? ' (SETTINGS_FLAVOR)' : ' (the default)'}\n`;
  return (
    `# private-registry effective configuration\n# file: ${file}\n${flavor}` +
    '# after each value: where it came from (file, flavor NAME, env VARIABLE, default); secrets read <redacted>\n'
  );
}
