import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ManifestError, ModelNotFoundError } from '../errors.js';
import { loadModelSpec, MANIFEST_FILE, MODEL_NAME, MODEL_NAME_RULE, type ModelSpec } from './manifest.js';

/**
 * Where model directories come from: a folder holding one directory per model
 * (`--model-repository`; a model's directory is named after it, as in Triton's
 * repository), or the one directory given with `--model`. The registry asks it
 * for a model by name when the repository API loads one.
 */
export class ModelRepository {
  readonly #root: string;
  readonly #single: ModelSpec | undefined;

  private constructor(root: string, single: ModelSpec | undefined) {
    this.#root = root;
    this.#single = single;
  }

  /** Every subdirectory of `root` that holds a model.json. */
  static directory(root: string): ModelRepository {
    return new ModelRepository(path.resolve(root), undefined);
  }

  /** Just this model (`--model DIR`). */
  static single(spec: ModelSpec): ModelRepository {
    return new ModelRepository(spec.dir, spec);
  }

  /** The repository folder, or the single model's directory. */
  get root(): string {
    return this.#root;
  }

  /** Names of the models it holds, sorted; read from disk each time (a directory may have been added). */
  async names(): Promise<string[]> {
    if (this.#single) return [this.#single.manifest.name];
    let entries;
    try {
      entries = await readdir(this.#root, { withFileTypes: true });
    } catch (error) {
      throw new ManifestError(this.#root, 'the model repository cannot be read (is --model-repository a folder?)', { cause: error });
    }
    // statSync follows symlinks: a repository may link to model directories kept elsewhere.
    return entries
      .filter((entry) => !entry.name.startsWith('.') && isDirectory(path.join(this.#root, entry.name)) && existsSync(path.join(this.#root, entry.name, MANIFEST_FILE)))
      .map((entry) => entry.name)
      .sort();
  }

  /** Every model's spec, sorted by name; the first bad manifest throws. */
  async specs(): Promise<ModelSpec[]> {
    const names = await this.names();
    return Promise.all(names.map((name) => this.spec(name)));
  }

  /**
   * The model as it now is on disk. Throws {@link ModelNotFoundError} when
   * the repository holds no such directory, {@link ManifestError} when its
   * model.json is bad or names another model.
   */
  async spec(name: string): Promise<ModelSpec> {
    if (this.#single) {
      if (name !== this.#single.manifest.name) throw new ModelNotFoundError(name, `is not in the model repository (this gateway serves the one directory ${this.#root})`);
      return loadModelSpec(this.#single.dir);
    }
    // A name is one path segment: never a way out of the repository.
    if (!MODEL_NAME.test(name)) {
      // A directory listed by names() whose name no model may have (upper case, a space).
      if (isSegment(name) && existsSync(path.join(this.#root, name, MANIFEST_FILE))) {
        throw new ManifestError(path.join(this.#root, name), `"${name}" is not a model name: ${MODEL_NAME_RULE} (rename the directory and the name in its model.json)`);
      }
      throw new ModelNotFoundError(name, `is not in the model repository ${this.#root}`);
    }
    if (!existsSync(path.join(this.#root, name, MANIFEST_FILE))) {
      throw new ModelNotFoundError(name, `is not in the model repository ${this.#root}`);
    }
    const spec = await loadModelSpec(path.join(this.#root, name));
    if (spec.manifest.name !== name) {
      throw new ManifestError(path.join(spec.dir, MANIFEST_FILE), `names the model "${spec.manifest.name}", but its directory is "${name}": in a repository they must match`);
    }
    return spec;
  }
}

/** One directory name below the repository, not a way up or across it. */
function isSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
