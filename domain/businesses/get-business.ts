// One business, without its secret.
import type { PrismaClient } from '../../infra/database.js';
import { businessView, foundBusiness, type BusinessView } from './business.js';

export async function getBusiness(prisma: PrismaClient, id: string): Promise<BusinessView> {
  return businessView(await foundBusiness(prisma, id));
}
