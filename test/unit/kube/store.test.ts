// The informer cache's change journal: kept only where a reader asks for it,
// and only as far back as that reader still needs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JOURNAL_CAPACITY, Store } from "../../../src/kube/store.js";

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const obj = (name: string, rv: number): Obj => ({ metadata: { name, namespace: "ns", resourceVersion: String(rv) } });

test("without a journal the revision still counts changes, and changesSince says it cannot tell", () => {
  const store = new Store<Obj>();
  store.set("ns/a", obj("a", 1));
  store.set("ns/a", obj("a", 2));
  store.delete("ns/a");
  assert.equal(store.revision, 3);
  assert.equal(store.changesSince(0), undefined);
  assert.equal(store.changesSince(3), undefined);
});

test("with a journal: the objects each change replaced, the first per key since the revision asked for", () => {
  const store = new Store<Obj>({}, { journal: true });
  const a1 = obj("a", 1);
  store.set("ns/a", a1);
  const since = store.revision;
  store.set("ns/a", obj("a", 2));
  store.set("ns/a", obj("a", 3));
  store.set("ns/b", obj("b", 4));
  const changes = store.changesSince(since)!;
  assert.deepEqual([...changes.keys()], ["ns/a", "ns/b"]);
  assert.equal(changes.get("ns/a"), a1);
  assert.equal(changes.get("ns/b"), undefined);
  assert.deepEqual([...store.changesSince(store.revision)!.keys()], []);
});

test("forgetting the changes before a revision lets their objects go; later ones and the revision numbers stay", () => {
  const store = new Store<Obj>({}, { journal: true });
  store.set("ns/a", obj("a", 1));
  store.set("ns/a", obj("a", 2));
  const kept = store.revision;
  const a2 = store.get("ns/a")!;
  store.set("ns/a", obj("a", 3));
  store.forgetChangesBefore(kept);
  assert.equal(store.revision, 3);
  assert.equal(store.changesSince(0), undefined, "forgotten");
  assert.equal(store.changesSince(kept)!.get("ns/a"), a2);
  store.forgetChangesBefore(1);
  assert.equal(store.changesSince(kept)!.get("ns/a"), a2, "an older revision changes nothing");
  store.forgetChangesBefore(store.revision + 5);
  assert.equal(store.revision, 3, "a revision beyond the last change forgets all, and no more");
  assert.equal(store.changesSince(kept), undefined);
  store.set("ns/b", obj("b", 4));
  assert.deepEqual([...store.changesSince(3)!.keys()], ["ns/b"]);
});

test("the journal is bounded: a reader too far behind is told to read everything", () => {
  const store = new Store<Obj>({}, { journal: true });
  for (let i = 0; i <= JOURNAL_CAPACITY; i++) store.set("ns/a", obj("a", i));
  assert.equal(store.changesSince(0), undefined);
  assert.ok(store.changesSince(store.revision - 10));
});
