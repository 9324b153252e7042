// Field paths as Kubernetes prints them: `spec.containers[0].name`,
// `metadata.annotations[kruise.io/key]`.

export function childPath(parent: string, field: string): string {
  return parent ? `${parent}.${field}` : field;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}
