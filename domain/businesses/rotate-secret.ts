// Replaces a business's secret at once: what we sign from now on, and what we accept from it,
// use the new one only. The new secret is shown in this answer only.
import type { PrismaClient } from '../../infra/database.js';
import { BUSINESS_VIEW_FIELDS, businessView, foundBusiness, newBusinessSecret, type BusinessWithSecret } from './business.js';

export async function rotateBusinessSecret(prisma: PrismaClient, id: string): Promise<BusinessWithSecret> {
  await foundBusiness(prisma, id);
  const secret = newBusinessSecret();
  const row = await prisma.business.update({ where: { id }, data: { secret }, select: BUSINESS_VIEW_FIELDS });
  return { ...businessView(row), secret };
}
