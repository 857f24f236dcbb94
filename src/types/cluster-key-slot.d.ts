/** Types of cluster-key-slot (the package ships none). */
declare module "cluster-key-slot" {
  /** The Redis Cluster hash slot (0..16383) of `key`, by its hash tag. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of `keys`, or -1 when they differ. */
    function generateMulti(keys: (string | Buffer)[]): number;
  }
  export = calculateSlot;
}
