import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RepositoryModel {
  /** The model directory it is made from. */
  readonly from: string;
  /** Copied (with these manifest fields changed; its name is always the entry's), or linked as it is. */
  readonly copy?: boolean;
  readonly manifest?: Record<string, unknown>;
}

/** A model repository in a fresh temporary folder: one directory per model, named after it. */
export class TestRepository {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'gw-repository-'));

  constructor(models: Readonly<Record<string, RepositoryModel>> = {}) {
    for (const [name, model] of Object.entries(models)) this.add(name, model);
  }

  /** Adds a model directory (as a user would drop one into the repository). */
  add(name: string, model: RepositoryModel): string {
    const dir = path.join(this.root, name);
    if (model.copy === false) {
      symlinkSync(model.from, dir);
      return dir;
    }
    cpSync(model.from, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}.venv`) && !source.includes('__pycache__') });
    this.patch(name, { ...model.manifest, name });
    return dir;
  }

  /** Changes fields of a model's model.json on disk. */
  patch(name: string, fields: Record<string, unknown>): void {
    const file = path.join(this.root, name, 'model.json');
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...fields }, null, 2));
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
