/**
 * The last link of the default region chain, the one that needs the network:
 * the instance's region from EC2 instance metadata (`placement/region`,
 * through the one IMDS client, imds.ts). Config loading takes it as
 * ConfigOptions.instanceRegion (config does not reach into src/aws/).
 */
import { REGION_SHAPE, type DefaultRegion } from '../config/region.js';
import { imdsClientFor } from './imds.js';

/** The instance's region; undefined off EC2, with IMDS disabled, or when it does not answer (1 s timeout). */
export async function regionFromInstanceMetadata(env: NodeJS.ProcessEnv): Promise<DefaultRegion | undefined> {
  const region = await imdsClientFor(env)?.metadata('placement/region');
  return region && REGION_SHAPE.test(region) ? { region, source: 'instance metadata' } : undefined;
}
